"""The tenant web app in a real browser (Debian's chromium, headless), as its users meet it.

Every page is opened at 1366 px and at 390 px (a phone), in the light and the dark theme, and
must show no horizontal scroll, log no console error and have no serious or critical axe-core
violation (tests/browser/vendor/axe.min.js, axe-core 4.14.1). Then the main flows: a movement
refused for insufficient stock and then accepted, an import with its progress bar, a check-in
refused outside the geofence (and without permission) and then accepted, a timesheet, an API
key created, copied and revoked, the HTMX search and the remembered theme."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django_tenants.utils import schema_context

from tests.attendance.factories import (
    BERLIN,
    AttendanceRecordFactory,
    EmployeeFactory,
    ShiftAssignmentFactory,
    ShiftFactory,
    SiteFactory,
)
from tests.browser.conftest import needs_browser
from tests.inventory import factories as f

pytestmark = needs_browser

WAIT = 15  # seconds for a page or a job to land
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
WIDTHS = (1366, 390)
THEMES = ("light", "dark")


def _wait(driver, condition, message: str):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # A page that reloads under the condition leaves its elements stale: look again.
    return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)
                         ).until(condition, message)


def _sign_in(driver, base: str, email: str, password: str, then: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/accounts/login/?next={then}")
    driver.find_element(By.ID, "id_login").send_keys(email)
    driver.find_element(By.ID, "id_password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait(driver, lambda d: d.current_url == f"{base}{then}", f"sign-in never reached {then}")


def _console_errors(driver, allowed: tuple[str, ...] = ()) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
            and not any(a in e["message"] for a in allowed)]


def _problems(driver) -> list[str]:
    """Horizontal overflow, console errors and serious/critical axe violations of the page."""
    problems = []
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    if widths[0] > widths[1]:
        problems.append(f"{widths[0]} px wide in a {widths[1]} px window")
    problems += _console_errors(driver)
    driver.execute_script(AXE)
    violations = driver.execute_async_script(
        "const done = arguments[0];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))))")
    problems += violations
    return problems


def _seed(tenant) -> dict:
    from shared_apps.accounts.models import User
    from tenant_apps.inventory.services import low_stock_check

    with schema_context(tenant.schema_name):
        owner = User.objects.get(email=f"owner@{tenant.slug}.test")
        main, north = f.WarehouseFactory(code="MAIN"), f.WarehouseFactory(code="NORTH")
        category = f.CategoryFactory(name="Fasteners")
        for n in range(30):
            f.ProductFactory(sku=f"BOLT-{n:02d}", name=f"Hex bolt M{n} zinc plated long name",
                             category=category)
        washer = f.ProductFactory(sku="WASH-1", name="Washer", reorder_level=10)
        f.receive(washer, main, 3, created_by=owner, reference="PO-1")
        f.receive(washer, north, 40)
        low_stock_check()
        site = SiteFactory(name="Brandenburg Gate", radius_m=100)
        employee = EmployeeFactory(code="E-1", name="Ada Owner", user=owner, default_site=site)
        ShiftAssignmentFactory(employee=employee, site=site, valid_from=date(2026, 1, 1),
                               shift=ShiftFactory(name="Day", start_time=time(9),
                                                  end_time=time(17)))
        record = AttendanceRecordFactory(employee=EmployeeFactory(default_site=site), site=site)
        return {"washer": washer.pk, "main": main.pk, "record": record.pk,
                "warehouse": main.pk, "employee": employee.pk, "site": site.pk}


def test_every_page_fits_a_phone_and_a_desktop_in_both_themes_without_errors(
        scratch_tenant, live_port, browser):
    tenant = scratch_tenant()
    ids = _seed(tenant)
    connection.set_schema_to_public()
    base = f"http://{tenant.slug}.localhost:{live_port}"
    pages = ["/", "/styleguide/", "/team/", "/settings/", "/settings/api-keys/", "/inventory/",
             "/inventory/?low=yes", f"/inventory/products/{ids['washer']}/",
             f"/inventory/products/{ids['washer']}/edit", "/inventory/products/new",
             "/inventory/movements/new", "/inventory/alerts/", "/inventory/files/",
             "/inventory/warehouses/", f"/inventory/warehouses/{ids['main']}/edit",
             "/inventory/categories/", "/attendance/", "/attendance/present/",
             "/attendance/records/", f"/attendance/records/{ids['record']}/",
             f"/attendance/timesheets/?employee={ids['employee']}&month=2026-03",
             "/attendance/employees/", f"/attendance/employees/{ids['employee']}/edit",
             "/attendance/sites/", f"/attendance/sites/{ids['site']}/edit",
             "/attendance/shifts/", "/attendance/shifts/new", "/attendance/assignments/"]
    browser.get(f"{base}/accounts/login/")
    assert _problems(browser) == []
    _sign_in(browser, base, f"owner@{tenant.slug}.test", "owner-pass-123", "/")
    found = {}
    for theme in THEMES:
        browser.execute_script("localStorage.setItem('theme', arguments[0])", theme)
        for width in WIDTHS:
            browser.set_window_size(width, 900)
            for path in pages:
                browser.get(base + path)
                assert browser.execute_script(
                    "return document.documentElement.dataset.theme") == theme
                problems = _problems(browser)
                if problems:
                    found[f"{path} at {width} px, {theme}"] = problems
    assert found == {}
    assert len(pages) + 1 == 29  # the count the closing note gives


def test_a_movement_refused_for_insufficient_stock_then_accepted_on_a_phone(
        scratch_tenant, live_port, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    tenant = scratch_tenant()
    ids = _seed(tenant)
    connection.set_schema_to_public()
    base = f"http://{tenant.slug}.localhost:{live_port}"
    browser.set_window_size(390, 900)
    browser.get(f"{base}/accounts/login/")
    browser.execute_script("localStorage.setItem('theme', 'dark')")
    _sign_in(browser, base, f"owner@{tenant.slug}.test", "owner-pass-123",
             f"/inventory/products/{ids['washer']}/")
    stock = browser.find_element(By.ID, "stock").text
    assert "MAIN" in stock and "3 pcs" in stock and "low: at or below 10 pcs" in stock

    Select(browser.find_element(By.ID, "id_kind")).select_by_value("issue")
    browser.find_element(By.ID, "id_quantity").send_keys("5")
    Select(browser.find_element(By.ID, "id_from_warehouse")).select_by_visible_text("MAIN")
    browser.find_element(By.CSS_SELECTOR, "form.form button.primary").click()
    error = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".field.invalid"),
                  "no inline error")[0]
    assert "Only 3 pcs of WASH-1 in MAIN; cannot take 5." in error.text
    assert error.find_element(By.TAG_NAME, "input").get_attribute("id") == "id_quantity"
    assert _problems_without_400(browser) == []

    quantity = browser.find_element(By.ID, "id_quantity")
    quantity.clear()
    quantity.send_keys("2")
    browser.find_element(By.CSS_SELECTOR, "form.form button.primary").click()
    _wait(browser, lambda d: "/inventory/products/" in d.current_url
          and d.find_elements(By.CSS_SELECTOR, ".toast"), "no confirmation")
    assert "Issue of 2 pcs of WASH-1 recorded." in browser.find_element(By.ID, "toasts").text
    assert "41 pcs in all warehouses" in browser.find_element(By.TAG_NAME, "main").text
    history = browser.find_element(By.ID, "movements").text
    assert "Issue" in history and "2 pcs" in history
    assert _problems(browser) == []


def _problems_without_400(driver) -> list[str]:
    # A refused form answers 400, which the console reports as a failed load.
    return [p for p in _problems(driver) if "status of 400" not in p]


def test_an_import_shows_its_progress_and_the_search_updates_in_place(
        scratch_tenant, live_port, browser, celery_worker, tmp_path):
    from selenium.webdriver.common.by import By

    tenant = scratch_tenant()
    _seed(tenant)
    connection.set_schema_to_public()
    base = f"http://{tenant.slug}.localhost:{live_port}"
    _sign_in(browser, base, f"owner@{tenant.slug}.test", "owner-pass-123", "/inventory/files/")
    rows = "\n".join(f"IMP-{n:03d},Imported item {n},pcs,1.50" for n in range(120))
    csv_file = tmp_path / "products.csv"
    csv_file.write_text(f"sku,name,unit,price\n{rows}\n")
    browser.find_element(By.ID, "id_file").send_keys(str(csv_file))
    browser.find_element(By.CSS_SELECTOR, "form[enctype] button.primary").click()
    _wait(browser, lambda d: "/jobs/" in d.current_url, "no job page")
    assert browser.find_element(By.CSS_SELECTOR, "[role=progressbar]")
    done = _wait(browser, lambda d: "succeeded" in d.find_element(By.ID, "job").text
                 and d.find_element(By.ID, "job").text, "the import never finished")
    assert "120 rows: 120 created, 0 updated" in done
    assert browser.find_element(By.CSS_SELECTOR, "[role=progressbar]").get_attribute(
        "aria-valuenow") == "100"
    assert _problems(browser) == []

    browser.get(f"{base}/inventory/")
    marker = browser.execute_script("window.__same_page = true; return 1")
    browser.find_element(By.ID, "q").send_keys("imported item 7")
    _wait(browser, lambda d: "IMP-007" in d.find_element(By.ID, "rows").text
          and "IMP-010" not in d.find_element(By.ID, "rows").text, "search never applied")
    assert browser.execute_script("return window.__same_page === true") == marker
    assert "q=imported%20item%207" in browser.current_url, "the search is in the address"
    assert _problems(browser) == []


def test_check_in_refused_outside_and_without_permission_then_accepted(
        scratch_tenant, live_port, browser):
    from selenium.webdriver.common.by import By

    tenant = scratch_tenant()
    _seed(tenant)
    connection.set_schema_to_public()
    base = f"http://{tenant.slug}.localhost:{live_port}"
    _sign_in(browser, base, f"owner@{tenant.slug}.test", "owner-pass-123", "/attendance/")
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": base, "permissions": []})
    browser.find_element(By.ID, "check-in").click()
    status = _wait(browser, lambda d: "denied" in d.find_element(By.ID, "geo-status").text
                   and d.find_element(By.ID, "geo-status").text, "no word on the permission")
    assert "Location permission was denied" in status

    browser.execute_cdp_cmd("Browser.grantPermissions",
                            {"origin": base, "permissions": ["geolocation"]})

    def stand_at(latitude: Decimal, longitude: Decimal) -> None:
        browser.execute_cdp_cmd("Emulation.setGeolocationOverride", {
            "latitude": float(latitude), "longitude": float(longitude), "accuracy": 10})

    stand_at(BERLIN[0] + Decimal("0.01"), BERLIN[1])  # about 1.1 km north
    browser.find_element(By.ID, "check-in").click()
    error = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".form-error"),
                  "no refusal")[0]
    assert error.text.startswith("The position is 1112 m from Brandenburg Gate")
    assert _problems_without_400(browser) == []

    stand_at(*BERLIN)
    browser.find_element(By.ID, "check-in").click()
    _wait(browser, lambda d: "You are checked in" in d.find_element(By.TAG_NAME, "main").text,
          "never checked in")
    assert "CET" in browser.find_element(By.ID, "records").text or "CEST" in \
        browser.find_element(By.ID, "records").text
    browser.find_element(By.ID, "check-out").click()
    _wait(browser, lambda d: "You are checked out" in d.find_element(By.TAG_NAME, "main").text,
          "never checked out")
    with schema_context(tenant.schema_name):
        from tenant_apps.attendance.models import AttendanceRecord

        record = AttendanceRecord.objects.get(employee__code="E-1")
        assert record.check_in_inside_geofence and record.check_out_at is not None
    connection.set_schema_to_public()
    assert _problems(browser) == []


def test_a_timesheet_a_key_created_copied_and_revoked_and_the_remembered_theme(
        scratch_tenant, live_port, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    tenant = scratch_tenant()
    ids = _seed(tenant)
    connection.set_schema_to_public()
    base = f"http://{tenant.slug}.localhost:{live_port}"
    _sign_in(browser, base, f"owner@{tenant.slug}.test", "owner-pass-123",
             "/attendance/timesheets/")
    Select(browser.find_element(By.ID, "id_employee")).select_by_value(str(ids["employee"]))
    browser.execute_script("document.getElementById('id_month').value = '2026-03'")
    browser.find_element(By.CSS_SELECTOR, "form.filters button.primary").click()
    _wait(browser, lambda d: "month=2026-03" in d.current_url, "no timesheet")
    assert "E-1 Ada Owner · March 2026" in browser.find_element(By.ID, "timesheet").text
    assert "absences" in browser.find_element(By.ID, "totals").text

    browser.get(f"{base}/settings/api-keys/")
    browser.find_element(By.ID, "id_name").send_keys("Scanner")
    Select(browser.find_element(By.ID, "id_scope")).select_by_value("read_write")
    browser.find_element(By.CSS_SELECTOR, "form.form button.primary").click()
    raw = _wait(browser, lambda d: d.find_elements(By.ID, "raw-key"), "no key shown")[0].text
    assert raw.startswith("sk_")
    browser.find_element(By.CSS_SELECTOR, "[data-copy=raw-key]").click()
    _wait(browser, lambda d: "Copied" in d.find_element(By.ID, "toasts").text
          or "copy it by hand" in d.find_element(By.ID, "toasts").text, "copy said nothing")
    browser.get(f"{base}/settings/api-keys/")
    assert raw not in browser.page_source, "a key is shown once"
    keys = browser.find_element(By.ID, "keys").text
    assert f"sk_{raw[3:].split('.')[0]}" in keys and "never" in keys
    browser.find_element(By.CSS_SELECTOR, "#keys button.danger").click()
    _wait(browser, lambda d: "revoked" in d.find_element(By.ID, "keys").text, "not revoked")

    browser.execute_script("localStorage.removeItem('theme')")
    browser.get(f"{base}/")
    start = browser.execute_script("return document.documentElement.dataset.theme")
    browser.find_element(By.CSS_SELECTOR, "[data-theme-toggle]").click()
    browser.get(f"{base}/inventory/")
    flipped = browser.execute_script("return document.documentElement.dataset.theme")
    assert {start, flipped} == {"light", "dark"}, "the toggle is remembered across pages"
    assert _problems(browser) == []
