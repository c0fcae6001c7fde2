"""The operator console's Tenants section in a real browser (headless chromium): every page at
1366 and 390 px in both themes without overflow, console errors or serious axe violations; a
tenant created with the provisioning steps' live progress and the owner's invitation link; an
archive and a delete that only go through once the slug is typed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from shared_apps.accounts.models import User
from tenants.models import Tenant
from tests.browser.conftest import needs_browser
from tests.browser.test_webapp import THEMES, WIDTHS, _problems, _wait

pytestmark = needs_browser


@pytest.fixture
def operator_browser(committed_db, live_port, browser):
    """The browser signed in as an operator on the public host (the session cookie of a
    forced login, so these tests do not depend on the sign-in page's form)."""
    user = User.objects.create_user(email="ops-browser@platform.test",
                                    password="a-long-pass-123", is_staff=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    base = f"http://localhost:{live_port}"
    browser.get(f"{base}/console/")  # an HTML page of the host (the sign-in), to set a cookie
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                        "path": "/"})
    try:
        yield browser, base
    finally:
        User.objects.filter(pk=user.pk).delete()


def test_every_console_tenant_page_fits_a_phone_and_a_desktop_in_both_themes(
        operator_browser, scratch_tenant):
    browser, base = operator_browser
    tenant = scratch_tenant()
    pages = ["/console/tenants/?state=active&sort=-slug", f"/console/tenants/{tenant.slug}/",
             "/console/tenants/_new/"]
    found = {}
    for theme in THEMES:
        browser.execute_script("localStorage.setItem('theme', arguments[0])", theme)
        for width in WIDTHS:
            browser.set_window_size(width, 900)
            for path in pages:
                browser.get(base + path)
                problems = _problems(browser)
                if problems:
                    found[f"{path} at {width} px, {theme}"] = problems
    assert found == {}


def test_create_a_tenant_with_live_progress_then_the_invitation_link(
        operator_browser, celery_worker):
    from selenium.webdriver.common.by import By

    from tenants.services import tenant_delete

    browser, base = operator_browser
    try:
        browser.get(f"{base}/console/tenants/_new/")
        browser.find_element(By.ID, "id_slug").send_keys("from-browser")
        browser.find_element(By.ID, "id_name").send_keys("From Browser")
        browser.find_element(By.ID, "id_owner_email").send_keys("owner@browser.example")
        browser.find_element(By.CSS_SELECTOR, "form button.primary").click()
        _wait(browser, lambda d: "/console/tenants/_jobs/" in d.current_url,
              "the form never led to the job page")
        # The steps are listed while the job runs; the page polls until it is done.
        assert browser.find_elements(By.CSS_SELECTOR, "#steps li")
        _wait(browser, lambda d: d.find_element(By.ID, "job").get_attribute("data-state")
              in ("SUCCESS", "FAILURE"), "the job page never showed the end of the job")
        job = browser.find_element(By.ID, "job")
        assert job.get_attribute("data-state") == "SUCCESS", job.text
        assert all(li.get_attribute("data-state") == "done"
                   for li in browser.find_elements(By.CSS_SELECTOR, "#steps li"))
        link = browser.find_element(By.ID, "invitation").text
        # On the port the console is served on, so that it opens as given.
        host = base.replace("//localhost", "//from-browser.localhost")
        assert link.startswith(f"{host}/invitations/"), link
        assert "password:" not in job.text.lower()
        assert _problems(browser) == []
        assert Tenant.objects.get(slug="from-browser").state == "active"
    finally:
        if Tenant.objects.filter(slug="from-browser").exists():
            tenant_delete(slug="from-browser", force=True)


def test_archive_and_delete_only_once_the_slug_is_typed(operator_browser, scratch_tenant,
                                                         celery_worker, settings, tmp_path):
    from selenium.webdriver.common.by import By

    settings.TENANT_ARCHIVE_DIR = tmp_path
    browser, base = operator_browser
    tenant = scratch_tenant()
    page = f"{base}/console/tenants/{tenant.slug}/"
    browser.set_window_size(390, 900)
    browser.get(page)
    # A wrong slug: the form does not go (the field must match), nothing happens.
    browser.find_element(By.ID, "archive-confirm").send_keys(tenant.slug[:-1])
    browser.find_element(By.CSS_SELECTOR, "#archive-form button").click()
    assert browser.current_url == page
    assert not browser.execute_script(
        "return document.getElementById('archive-confirm').validity.valid")
    assert Tenant.objects.get(slug=tenant.slug).state == "active"
    # An active tenant offers no delete at all.
    assert not browser.find_elements(By.ID, "delete-confirm")

    field = browser.find_element(By.ID, "archive-confirm")
    field.clear()
    field.send_keys(tenant.slug)
    browser.find_element(By.CSS_SELECTOR, "#archive-form button").click()
    _wait(browser, lambda d: "/console/tenants/_jobs/" in d.current_url,
          "the archive never led to its job page")
    _wait(browser, lambda d: d.find_element(By.ID, "job").get_attribute("data-state")
          in ("SUCCESS", "FAILURE"), "the archive job never finished")
    assert browser.find_element(By.ID, "job").get_attribute("data-state") == "SUCCESS"
    assert Tenant.objects.get(slug=tenant.slug).state == "archived"

    browser.get(page)
    browser.find_element(By.ID, "delete-confirm").send_keys("something-else")
    browser.find_element(By.CSS_SELECTOR, "#delete-form button").click()
    assert browser.current_url == page and Tenant.objects.filter(slug=tenant.slug).exists()
    field = browser.find_element(By.ID, "delete-confirm")
    field.clear()
    field.send_keys(tenant.slug)
    browser.find_element(By.CSS_SELECTOR, "#delete-form button").click()
    _wait(browser, lambda d: d.current_url == f"{base}/console/tenants/",
          "the delete never led back to the list")
    assert not Tenant.objects.filter(slug=tenant.slug).exists()
    assert f"/console/tenants/{tenant.slug}/" not in browser.page_source
