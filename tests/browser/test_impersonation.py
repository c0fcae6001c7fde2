"""Impersonation for support in a real browser, at 1366 and 390 px: an operator signs in to the
console, opens "View as" on a tenant's owner, lands on the tenant's host with the banner on
every page, finds the API keys page refused, and ends the visit with the banner's button."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.browser.conftest import needs_browser
from tests.browser.test_webapp import _problems, _sign_in, _wait

pytestmark = needs_browser


@pytest.fixture
def operator(committed_db):
    from shared_apps.accounts.models import User

    user = User.objects.create_user(email="browser-ops@platform.test",
                                    password="ops-pass-12345", is_staff=True)
    yield user
    connection.set_schema_to_public()
    from shared_apps.audit.models import Impersonation

    Impersonation.objects.filter(operator=user.email).delete()
    user.delete()  # its audit entries stay: the log is append-only


@pytest.mark.parametrize("width", [1366, 390])
def test_view_as_shows_the_banner_on_every_page_and_ends(scratch_tenant, live_port, browser,
                                                         operator, width):
    from selenium.webdriver.common.by import By

    tenant = scratch_tenant()
    connection.set_schema_to_public()
    browser.set_window_size(width, 900)
    public = f"http://localhost:{live_port}"
    _sign_in(browser, public, operator.email, "ops-pass-12345",
             f"/console/audit/tenants/{tenant.slug}/")
    assert _problems(browser) == []
    browser.find_element(By.CSS_SELECTOR,
                         f'button[aria-label="View as owner@{tenant.slug}.test"]').click()

    base = f"http://{tenant.slug}.localhost:{live_port}"
    _wait(browser, lambda d: d.current_url == f"{base}/", "the link never landed on the tenant")
    banner = browser.find_element(By.ID, "support-banner")
    assert operator.email in banner.text and f"owner@{tenant.slug}.test" in banner.text
    assert _problems(browser) == []
    browser.get(f"{base}/inventory/")
    assert browser.find_element(By.ID, "support-banner").is_displayed()
    assert _problems(browser) == []
    browser.get(f"{base}/settings/api-keys/")
    assert "Not while an operator is viewing" in browser.page_source
    browser.get_log("browser")  # the refusal's own "403" console line, expected

    browser.get(f"{base}/")
    browser.find_element(By.CSS_SELECTOR, "#support-banner button[type=submit]").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "support-ended"), "the visit never ended")
    assert _problems(browser) == []
    browser.get(f"{base}/")
    _wait(browser, lambda d: "/login/" in d.current_url, "still signed in after the end")
