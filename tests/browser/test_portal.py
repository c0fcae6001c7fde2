"""The tenant web pages in a real browser (Debian's chromium, headless): sign in, browse and
search the inventory, check in and out. The pages' JavaScript talks to the same API as
integrators do, with the session cookie and the CSRF token, so only a browser can show that
they work together."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django_tenants.utils import schema_context

from devtools.browser import CHROMEDRIVER, CHROMIUM, browser_available
from tests.attendance.factories import BERLIN, EmployeeFactory, SiteFactory
from tests.inventory import factories as f

pytestmark = pytest.mark.skipif(
    not browser_available(),
    reason="chromium/chromedriver missing: `make test` installs them as root "
           "(apt-get install chromium chromium-driver)")

WAIT = 15  # seconds for the page's fetches to land


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # the test output is not an access log
        pass


@pytest.fixture
def live_port(committed_db) -> Iterator[int]:
    """The project's WSGI application on a free loopback port; each request thread closes its
    database connection when its client disconnects (ThreadedWSGIServer.close_request)."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, message: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition, message)


def _text_is(driver, css: str, expected: str):
    from selenium.webdriver.common.by import By

    def check(d):
        text = d.find_element(By.CSS_SELECTOR, css).text
        return text if text == expected else False

    return _wait(driver, check, f"{css} never read {expected!r}")


def _rows(driver, table: str) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")]


def _sign_in(driver, base: str, email: str, password: str, then: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login/?next={then}")
    driver.find_element(By.ID, "id_username").send_keys(email)
    driver.find_element(By.ID, "id_password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait(driver, lambda d: d.current_url == f"{base}{then}", f"sign-in never reached {then}")


def _script_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE"]


def test_inventory_page_lists_pages_and_searches_the_tenants_products(
        scratch_tenant, live_port, browser):
    from selenium.webdriver.common.by import By

    from tenant_apps.inventory.services import low_stock_check

    tenant, other = scratch_tenant(), scratch_tenant()
    with schema_context(tenant.schema_name):
        main = f.WarehouseFactory(code="MAIN")
        for n in range(30):
            f.ProductFactory(sku=f"BOLT-{n:02d}", name=f"Hex bolt {n:02d}")
        washer = f.ProductFactory(sku="WASH-1", name="Washer", reorder_level=10)
        f.receive(washer, main, 2)
        low_stock_check()
    with schema_context(other.schema_name):
        f.ProductFactory(sku="OTHER-1", name="Hex bolt of another tenant")
    connection.set_schema_to_public()
    base = f"http://{tenant.slug}.localhost:{live_port}"

    _sign_in(browser, base, f"owner@{tenant.slug}.test", "owner-pass-123", "/inventory/")
    _text_is(browser, "#summary", "31 product(s), page 1")
    rows = _rows(browser, "products")
    assert len(rows) == 25
    assert rows[0][:2] == ["BOLT-00", "Hex bolt 00"]
    assert not any("OTHER" in row[0] for row in rows)
    assert browser.find_element(By.ID, "prev").get_attribute("disabled") is not None
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#alerts li"), "no alerts shown")
    assert browser.find_element(By.ID, "alerts").text == "WASH-1 in MAIN: 2.000"

    browser.find_element(By.ID, "next").click()
    _text_is(browser, "#summary", "31 product(s), page 2")
    assert [row[0] for row in _rows(browser, "products")] == [
        *(f"BOLT-{n:02d}" for n in range(25, 30)), "WASH-1"]
    assert browser.find_element(By.ID, "next").get_attribute("disabled") is not None

    browser.find_element(By.ID, "q").send_keys("washer")
    browser.find_element(By.CSS_SELECTOR, "#search button").click()
    _text_is(browser, "#summary", "1 product(s), page 1")
    assert _rows(browser, "products") == [
        ["WASH-1", "Washer", washer.category.name if washer.category_id else "",
         "2.000 pcs", "10.000", f"{washer.price:.2f}"]]
    assert _script_errors(browser) == []


def test_attendance_page_checks_in_and_out_with_the_browsers_position(
        scratch_tenant, live_port, browser):
    from selenium.webdriver.common.by import By

    from shared_apps.accounts.models import User

    tenant = scratch_tenant()
    with schema_context(tenant.schema_name):
        owner = User.objects.get(email=f"owner@{tenant.slug}.test")
        site = SiteFactory(name="Brandenburg Gate", radius_m=100)
        EmployeeFactory(code="E-1", name="Ada Owner", user=owner, default_site=site)
    connection.set_schema_to_public()
    base = f"http://{tenant.slug}.localhost:{live_port}"
    browser.execute_cdp_cmd("Browser.grantPermissions",
                            {"origin": base, "permissions": ["geolocation"]})

    def stand_at(latitude: Decimal, longitude: Decimal) -> None:
        browser.execute_cdp_cmd("Emulation.setGeolocationOverride", {
            "latitude": float(latitude), "longitude": float(longitude), "accuracy": 10})

    _sign_in(browser, base, f"owner@{tenant.slug}.test", "owner-pass-123", "/attendance/")

    stand_at(BERLIN[0] + Decimal("0.01"), BERLIN[1])  # about 1.1 km north: outside
    browser.find_element(By.ID, "in").click()
    status = _wait(browser, lambda d: d.find_element(By.ID, "status").text not in ("",
                   "Locating…") and d.find_element(By.ID, "status").text, "no answer")
    assert status.startswith("The position is 1112 m from Brandenburg Gate"), status
    assert _rows(browser, "records") == []

    stand_at(*BERLIN)
    browser.find_element(By.ID, "in").click()
    _text_is(browser, "#status", "Checked in.")
    _wait(browser, lambda d: len(_rows(d, "records")) == 1, "the record never showed")
    employee, site_name, _checked_in, checked_out, minutes = _rows(browser, "records")[0]
    assert (employee, site_name, checked_out, minutes) == (
        "Ada Owner", "Brandenburg Gate", "open", "")

    browser.find_element(By.ID, "out").click()
    _text_is(browser, "#status", "Checked out.")
    _wait(browser, lambda d: _rows(d, "records")[0][3] != "open", "never shown checked out")
    assert _rows(browser, "records")[0][4] == "0"
    with schema_context(tenant.schema_name):
        from tenant_apps.attendance.models import AttendanceRecord

        record = AttendanceRecord.objects.get()
        assert record.check_in_inside_geofence and record.source == "web"
    connection.set_schema_to_public()
    # The refused check-in logs its 422 in the console; nothing else may go wrong.
    assert [e for e in _script_errors(browser) if "422" not in e] == []
