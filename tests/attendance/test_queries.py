"""No N+1: every list (and the timesheet) costs the same number of queries for 1 row as for
many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenant_apps.attendance.models import AttendanceCorrection
from tests.attendance.factories import (
    AttendanceRecordFactory,
    EmployeeFactory,
    ShiftAssignmentFactory,
    ShiftFactory,
    SiteFactory,
)


def _rows(n: int, make_user) -> None:
    """n rows of every kind, each with its own related rows (users, sites, shifts)."""
    for i in range(n):
        site = SiteFactory()
        user = make_user("acme", role="member")
        employee = EmployeeFactory(default_site=site, user=user)
        ShiftAssignmentFactory(employee=employee, site=site, shift=ShiftFactory())
        record = AttendanceRecordFactory(
            employee=employee, site=site, checked_in_by=user, checked_out_by=user,
            check_in_at=datetime(2026, 3, 2, 8, tzinfo=UTC) + timedelta(days=i))
        AttendanceCorrection.objects.create(record=record, changed_by=user, field="site",
                                            old_value="1", new_value="2", reason="r")


def _queries(client, path: str, rows: int | None = None) -> int:
    client.get(path)  # warm: the first request also loads the host route and the tenant
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.content
    if rows is not None:
        assert len(response.json()["results"]) == rows
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", [
    "/api/v1/attendance/sites", "/api/v1/attendance/employees", "/api/v1/attendance/shifts",
        "/api/v1/attendance/shift-assignments",
    "/api/v1/attendance/records", "/api/v1/attendance/corrections",
    "/api/v1/attendance/records?from=2026-03-01&to=2026-03-31&open=false&search=E",
])
def test_list_query_count_does_not_grow_with_rows(path, client_for, make_user, in_tenant):
    client = client_for("acme", role="viewer")
    with in_tenant("acme"):
        _rows(1, make_user)
    one = _queries(client, path, rows=1)
    with in_tenant("acme"):
        _rows(6, make_user)

    assert _queries(client, path, rows=7) == one


def test_timesheet_query_count_does_not_grow_with_days_or_records(client_for, in_tenant):
    client = client_for("acme", role="viewer")
    with in_tenant("acme"):
        employee = EmployeeFactory()
        ShiftAssignmentFactory(employee=employee)
        AttendanceRecordFactory(employee=employee)
    path = f"/api/v1/attendance/timesheet?employee={employee.pk}&from=2026-03-01&to=2026-03-02"
    few = _queries(client, path)
    with in_tenant("acme"):
        for day in range(1, 28):
            AttendanceRecordFactory(employee=employee,
                                    check_in_at=datetime(2026, 3, 2, 8, tzinfo=UTC)
                                    + timedelta(days=day))

    assert _queries(client, path.replace("to=2026-03-02", "to=2026-03-31")) == few
