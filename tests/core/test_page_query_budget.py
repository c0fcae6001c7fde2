"""The main pages' database work is a small fixed budget: a handful of queries whatever the
tenant holds (tests/inventory and tests/attendance check that the counts do not grow with the
rows; this pins the budgets), and no server-side cursor (DECLARE/FETCH/CLOSE: three round trips
per select box) on any of them. bench/pages.py measures what they cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenant_apps.inventory.services import low_stock_check
from tests.attendance.factories import AttendanceRecordFactory, EmployeeFactory
from tests.inventory import factories as f

# Session, user and workspace settings are three of each page's queries.
BUDGETS = {
    "/": 6,
    "/inventory/": 7,
    "/inventory/?q=item": 7,
    "/inventory/?low=yes": 7,
    "product": 11,
    "/inventory/alerts/": 6,
    "/attendance/": 5,
    "/attendance/records/": 6,
    "timesheet": 8,
}


@pytest.fixture
def stocked(client_for, in_tenant):
    client = client_for("acme", role="admin")
    with in_tenant("acme"):
        warehouses = [f.WarehouseFactory() for _ in range(3)]
        for n in range(15):
            item = f.ProductFactory(name=f"Item {n}", reorder_level=100)
            f.receive(item, warehouses[n % 3], 3)
        low_stock_check()
        employee = EmployeeFactory()
        for days in range(5):
            AttendanceRecordFactory(employee=employee, site=employee.default_site,
                                    check_in_at=datetime.now(UTC) - timedelta(days=days, hours=8),
                                    check_out_at=datetime.now(UTC) - timedelta(days=days))
    return client, {"product": f"/inventory/products/{item.pk}/",
                    "timesheet": f"/attendance/timesheets/?employee={employee.pk}"}


@pytest.mark.parametrize("page", list(BUDGETS))
def test_main_pages_stay_within_their_query_budget(page, stocked):
    client, urls = stocked
    url = urls.get(page, page)
    client.get(url)  # warm: route cache, content types
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    statements = [q["sql"] for q in captured.captured_queries]
    assert not [s for s in statements if s.startswith("DECLARE")], "server-side cursor"
    assert len(statements) <= BUDGETS[page], "\n".join(s[:150] for s in statements)
