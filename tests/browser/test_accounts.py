"""Accounts in a real browser, at 1366 px and at 390 px: a password reset from the sign-in page
through the e-mailed link, two-factor enrolment from the profile page, sign-in with a code from
the authenticator and with a recovery code; the account pages in both themes without overflow,
console errors or serious axe violations."""

from __future__ import annotations

import re

from django.core import mail
from django.db import connection
from django_tenants.utils import schema_context

from tests.accounts.helpers import enrol_totp, totp_code
from tests.browser.conftest import needs_browser
from tests.browser.test_webapp import WIDTHS, _console_errors, _problems, _sign_in, _wait

pytestmark = needs_browser


def _user(tenant, email: str, password: str = "pass-word-123"):
    from shared_apps.accounts.models import User

    with schema_context(tenant.schema_name):
        user = User.objects.create_user(email=email, password=password, role="member")
    connection.set_schema_to_public()
    return user


def _sign_out(driver, base: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/profile/")
    if driver.find_elements(By.CSS_SELECTOR, "[data-menu-toggle]")[0].is_displayed():
        driver.find_element(By.CSS_SELECTOR, "[data-menu-toggle]").click()
    driver.find_element(By.CSS_SELECTOR, ".userbox button[type=submit]").click()
    _wait(driver, lambda d: "/accounts/login/" in d.current_url, "sign-out did not land")


def test_a_forgotten_password_is_reset_through_the_emailed_link(
        scratch_tenant, live_port, browser, mailoutbox):
    from selenium.webdriver.common.by import By

    tenant = scratch_tenant()
    base = f"http://{tenant.slug}.localhost:{live_port}"
    for width in WIDTHS:
        email = f"forgot{width}@{tenant.slug}.test"
        _user(tenant, email)
        browser.set_window_size(width, 900)
        browser.get(f"{base}/accounts/login/")
        browser.find_element(By.LINK_TEXT, "Forgot your password?").click()
        browser.find_element(By.ID, "id_email").send_keys(email)
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        _wait(browser, lambda d: d.current_url.endswith("/accounts/password/reset/done/"),
              "no confirmation that the e-mail went out")

        (message,) = [m for m in mail.outbox if m.to == [email]]
        link = re.search(r"http://\S+/accounts/password/reset/key/\S+/", message.body)[0]
        assert link.startswith(base)
        browser.get(link)
        browser.find_element(By.ID, "id_password1").send_keys("brand-new-pass-9")
        browser.find_element(By.ID, "id_password2").send_keys("brand-new-pass-9")
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        _wait(browser, lambda d: "/accounts/password/reset/key/done/" in d.current_url,
              "the new password was not accepted")

        _sign_in(browser, base, email, "brand-new-pass-9", "/")
        _sign_out(browser, base)


def test_two_factor_enrolment_from_the_profile_page(scratch_tenant, live_port, browser):
    from selenium.webdriver.common.by import By

    from shared_apps.accounts.mfa import user_has_mfa

    tenant = scratch_tenant()
    base = f"http://{tenant.slug}.localhost:{live_port}"
    for width in WIDTHS:
        email = f"enrol{width}@{tenant.slug}.test"
        user = _user(tenant, email)
        browser.set_window_size(width, 900)
        _sign_in(browser, base, email, "pass-word-123", "/profile/")
        # (At 390 px the "signed in" toast may cover the button for a moment.)
        browser.get(browser.find_element(By.LINK_TEXT, "Set up two-factor").get_attribute("href"))
        _wait(browser, lambda d: d.find_elements(By.ID, "authenticator_secret"),
              "no enrolment form")
        secret = browser.find_element(By.ID, "authenticator_secret").get_attribute("value")
        browser.find_element(By.ID, "id_code").send_keys(totp_code(secret))
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        _wait(browser, lambda d: not d.find_elements(By.ID, "authenticator_secret"),
              f"code not accepted at {width} px")
        browser.get(f"{base}/profile/")
        assert "An authenticator app is set up" in browser.find_element(
            By.ID, "profile-two-factor").text
        with schema_context(tenant.schema_name):
            assert user_has_mfa(user)
        connection.set_schema_to_public()
        _sign_out(browser, base)


def _password_step(driver, base: str, email: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/accounts/login/")
    driver.find_element(By.ID, "id_login").send_keys(email)
    driver.find_element(By.ID, "id_password").send_keys("pass-word-123")
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    _wait(driver, lambda d: d.current_url.endswith("/accounts/2fa/authenticate/"),
          "no second-factor step")


def test_sign_in_with_a_code_and_with_a_recovery_code(scratch_tenant, live_port, browser):
    from selenium.webdriver.common.by import By

    tenant = scratch_tenant()
    base = f"http://{tenant.slug}.localhost:{live_port}"
    for width in WIDTHS:
        email = f"second{width}@{tenant.slug}.test"
        secret, recovery_codes = enrol_totp(tenant.slug, _user(tenant, email))
        browser.set_window_size(width, 900)

        _password_step(browser, base, email)
        if width == WIDTHS[-1]:  # the second-factor page on a phone, in the dark theme
            browser.execute_script("localStorage.setItem('theme', 'dark')")
            browser.refresh()
            assert _problems(browser) == []
        browser.find_element(By.ID, "id_code").send_keys(totp_code(secret))
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        _wait(browser, lambda d: d.current_url == f"{base}/", "the code did not sign in")
        _sign_out(browser, base)

        _password_step(browser, base, email)
        browser.find_element(By.ID, "id_code").send_keys(recovery_codes[0])
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        _wait(browser, lambda d: d.current_url == f"{base}/", "the recovery code did not sign in")
        _sign_out(browser, base)


def test_the_account_pages_fit_a_phone_and_a_desktop_in_both_themes(
        scratch_tenant, live_port, browser):
    """Every account page: on a phone in the dark theme with the full check (overflow, console
    errors, axe), on a desktop in the light theme for overflow and console errors."""
    tenant = scratch_tenant()
    base = f"http://{tenant.slug}.localhost:{live_port}"
    anonymous = ["/accounts/login/", "/accounts/password/reset/",
                 "/accounts/password/reset/done/"]
    signed_in = ["/profile/", "/accounts/email/", "/accounts/password/change/",
                 "/accounts/2fa/", "/accounts/2fa/totp/activate/", "/accounts/sessions/",
                 "/settings/"]
    found = {}

    def check(paths: list[str]) -> None:
        for theme, width in (("dark", 390), ("light", 1366)):
            browser.execute_script("localStorage.setItem('theme', arguments[0])", theme)
            browser.set_window_size(width, 900)
            for path in paths:
                browser.get(base + path)
                problems = _problems(browser) if width == 390 else _overflow_or_errors(browser)
                if problems:
                    found[f"{path} at {width} px, {theme}"] = problems

    browser.get(f"{base}/accounts/login/")
    check(anonymous)
    _sign_in(browser, base, f"owner@{tenant.slug}.test", "owner-pass-123", "/")
    check(signed_in)
    assert found == {}


def _overflow_or_errors(driver) -> list[str]:
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    problems = [f"{widths[0]} px wide in a {widths[1]} px window"] if widths[0] > widths[1] else []
    return problems + _console_errors(driver)
