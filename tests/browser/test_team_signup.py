"""Team and sign-up in a real browser, at 1366 px and at 390 px: a new customer signs up on the
public host from a phone, watches the job, opens the link from the e-mail and signs in for the
first time on the new subdomain; an owner at a desktop invites someone who accepts on a phone;
the owner removes them and their session and API key are refused on the very next request. Each
page is checked at both widths as the rest of the web app is (no horizontal scroll, no console
error, no serious axe violation). One width per flow keeps the suite's time in bounds."""

from __future__ import annotations

import http.client
import re

from django.core import mail
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from tests.browser.conftest import needs_browser
from tests.browser.test_webapp import _problems, _sign_in, _wait

pytestmark = needs_browser

WIDTHS = (1366, 390)


def _size(driver, width: int) -> None:
    driver.set_window_size(width, 900)


def _second_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from devtools.browser import CHROMEDRIVER, CHROMIUM

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1366,900", "--hide-scrollbars"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def _status_with_key(port: int, host: str, raw_key: str) -> int:
    """GET /api/v1/me on the live server as an integrator would, with the key."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/api/v1/me", headers={"Host": host,
                                                   "Authorization": f"Api-Key {raw_key}"})
        return conn.getresponse().status
    finally:
        conn.close()


def _link_in_outbox(host: str) -> str:
    for message in reversed(mail.outbox):
        match = re.search(rf"(http://{re.escape(host)}/invitations/\S+)", message.body)
        if match:
            return match[1]
    raise AssertionError(f"no invitation link to {host} in {[m.body for m in mail.outbox]}")


def _problems_at_both_widths(driver, then: int) -> list[str]:
    problems = []
    for width in WIDTHS:
        _size(driver, width)
        problems += [f"{width} px: {p}" for p in _problems(driver)]
    _size(driver, then)
    return problems


def test_sign_up_through_to_the_first_sign_in_on_the_new_subdomain(
        celery_worker, live_port, browser):
    from selenium.webdriver.common.by import By

    from tenants.models import Tenant
    from tenants.services import tenant_delete

    mail.outbox = []
    cache.clear()  # the sign-up rate limit of 127.0.0.1
    slug, width = "signup-phone", 390
    public = f"http://localhost:{live_port}"
    try:
        browser.get(f"{public}/")
        assert _problems_at_both_widths(browser, then=width) == [], "landing"
        browser.find_element(By.ID, "id_name").send_keys("Browser Co")
        browser.find_element(By.ID, "id_slug").send_keys("acme")
        _wait(browser, lambda d: "is taken" in d.find_element(By.ID, "slug-status").text,
              "the live check never said taken")
        field = browser.find_element(By.ID, "id_slug")
        field.clear()
        field.send_keys(slug)
        _wait(browser, lambda d: "is available" in d.find_element(By.ID, "slug-status").text,
              "the live check never said available")
        browser.find_element(By.ID, "id_email").send_keys(f"founder@{slug}.example")
        browser.find_element(By.CSS_SELECTOR, "#signup-form button[type=submit]").click()
        _wait(browser, lambda d: "Your workspace is ready" in d.page_source,
              "the progress page never said ready")
        assert _problems_at_both_widths(browser, then=width) == [], "progress"
        link = _link_in_outbox(f"{slug}.localhost:{live_port}")
        browser.get(link)
        browser.find_element(By.ID, "id_full_name").send_keys("Fay Founder")
        for name in ("id_password", "id_password_again"):
            browser.find_element(By.ID, name).send_keys("founders-pass-123")
        browser.find_element(By.CSS_SELECTOR, "#accept-form button[type=submit]").click()
        base = f"http://{slug}.localhost:{live_port}"
        _wait(browser, lambda d: d.current_url == f"{base}/", "accepting never signed in")
        browser.delete_all_cookies()
        _sign_in(browser, base, f"founder@{slug}.example", "founders-pass-123", "/team/")
        assert "Fay Founder" in browser.find_element(By.ID, "members").text
        assert _problems_at_both_widths(browser, then=width) == [], "team"
    finally:
        connection.set_schema_to_public()
        if Tenant.objects.filter(slug=slug).exists():
            tenant_delete(slug=slug, force=True)


def test_an_invitation_accepted_then_the_member_removed_is_refused_at_once(
        scratch_tenant, live_port, browser):
    from selenium.webdriver.common.by import By

    from shared_apps.accounts.models import User
    from tenant_apps.core.services.api_keys import api_key_create

    mail.outbox = []
    tenant = scratch_tenant()
    connection.set_schema_to_public()
    base = f"http://{tenant.slug}.localhost:{live_port}"
    _size(browser, 1366)
    _sign_in(browser, base, f"owner@{tenant.slug}.test", "owner-pass-123", "/team/")
    browser.find_element(By.ID, "id_email").send_keys("joiner@example.com")
    browser.find_element(By.CSS_SELECTOR, "#id_role option[value=admin]").click()
    browser.find_element(By.CSS_SELECTOR, "#invite-form button[type=submit]").click()
    _wait(browser, lambda d: "Invitation sent to joiner@example.com" in d.page_source,
          "the invitation was never confirmed")
    assert "joiner@example.com" in browser.find_element(By.ID, "invitations").text
    assert _problems_at_both_widths(browser, then=1366) == [], "team with an invitation"
    link = _link_in_outbox(f"{tenant.slug}.localhost:{live_port}")

    member = _second_browser()
    try:
        member.get(link)
        assert _problems_at_both_widths(member, then=390) == [], "accept"
        for name in ("id_password", "id_password_again"):
            member.find_element(By.ID, name).send_keys("joiners-pass-123")
        member.find_element(By.CSS_SELECTOR, "#accept-form button[type=submit]").click()
        _wait(member, lambda d: d.current_url == f"{base}/", "accepting never signed in")
        member.get(f"{base}/team/")
        assert "joiner@example.com (you)" in member.find_element(By.ID, "members").text.replace(
            "\n", " ") or "(you)" in member.page_source
        with schema_context(tenant.schema_name):
            joiner = User.objects.get(email="joiner@example.com")
            assert joiner.role == "admin"
            raw = api_key_create(name="joiner's", scope="read", created_by=joiner).raw_key
        connection.set_schema_to_public()
        host = f"{tenant.slug}.localhost:{live_port}"
        assert _status_with_key(live_port, host, raw) == 200

        browser.get(f"{base}/team/")
        browser.find_element(By.CSS_SELECTOR,
                             "button[aria-label='Remove joiner@example.com']").click()
        _wait(browser, lambda d: "was removed" in d.page_source, "removal never confirmed")

        member.get(f"{base}/team/")  # the very next request
        assert member.current_url.startswith(f"{base}/accounts/login/"), member.current_url
        assert _status_with_key(live_port, host, raw) == 401
    finally:
        member.quit()
