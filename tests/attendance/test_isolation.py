"""Another tenant's attendance rows never appear: acme's data asked for from globex's host,
with a session and with an API key, is absent from lists and 404 in details."""

from __future__ import annotations

import csv
import io

import pytest

from tenant_apps.attendance import exports
from tenant_apps.attendance.models import AttendanceCorrection, AttendanceRecord, Employee, Site
from tenant_apps.core.models import Job
from tests.attendance.conftest import position_near
from tests.attendance.factories import (
    AttendanceRecordFactory,
    EmployeeFactory,
    ShiftAssignmentFactory,
    SiteFactory,
)

LISTS = {
    "sites": ("/api/v1/attendance/sites", "name"),
    "employees": ("/api/v1/attendance/employees", "code"),
    "shifts": ("/api/v1/attendance/shifts", "name"),
    "shift-assignments": ("/api/v1/attendance/shift-assignments", "employee_code"),
    "attendance-records": ("/api/v1/attendance/records", "employee_code"),
    "attendance-corrections": ("/api/v1/attendance/corrections", "employee_code"),
}
DETAILS = {
    "sites": "site", "employees": "employee", "shifts": "shift",
    "shift-assignments": "assignment", "attendance-records": "record",
    "attendance-corrections": "correction",
}


def make_rows(marker: str) -> dict:
    """One row of every kind; names and codes carry ``marker``."""
    site = SiteFactory(name=f"{marker} site")
    employee = EmployeeFactory(code=f"{marker}-1", name=f"{marker} employee",
                               default_site=site)
    assignment = ShiftAssignmentFactory(employee=employee, site=site,
                                        shift__name=f"{marker} shift")
    record = AttendanceRecordFactory(employee=employee, site=site)
    correction = AttendanceCorrection.objects.create(
        record=record, field="check_in_at", old_value="a", new_value="b", reason=marker)
    return {"site": site, "employee": employee, "shift": assignment.shift,
            "assignment": assignment, "record": record, "correction": correction}


@pytest.fixture(params=["session", "api key"])
def globex(request, client_for, api_key_for):
    """An admin-level caller on globex's host."""
    if request.param == "session":
        return client_for("globex", role="admin")
    return api_key_for("globex", scope="read_write", role="admin")[0]


@pytest.mark.parametrize("name", LISTS)
def test_lists_show_only_the_callers_tenant(name, globex, in_tenant):
    with in_tenant("acme"):
        make_rows("ACME")
    with in_tenant("globex"):
        make_rows("GLOBEX")
    path, label = LISTS[name]

    response = globex.get(f"{path}?page_size=200")

    assert response.status_code == 200, response.content
    labels = [row[label] for row in response.json()["results"]]
    assert labels and all(value.startswith("GLOBEX") for value in labels), labels


@pytest.mark.parametrize("name", DETAILS)
def test_details_of_another_tenant_are_404(name, globex, in_tenant):
    with in_tenant("acme"):
        rows = make_rows("ACME")
    pk = rows[DETAILS[name]].pk

    assert globex.get(f"/api/v1/{name}/{pk}").status_code == 404
    if name != "attendance-corrections":  # read-only
        assert globex.patch(f"/api/v1/{name}/{pk}", {"reason": "x"},
                            format="json").status_code == 404
    if name not in ("attendance-records", "attendance-corrections"):
        assert globex.delete(f"/api/v1/{name}/{pk}").status_code == 404
    with in_tenant("acme"):
        assert type(rows[DETAILS[name]]).objects.filter(pk=pk).exists()


def test_timesheet_and_check_in_cannot_reach_another_tenants_employee(globex, in_tenant):
    with in_tenant("acme"):
        rows = make_rows("ACME")
    employee, site = rows["employee"], rows["site"]

    response = globex.get(f"/api/v1/attendance/timesheet?employee={employee.pk}"
                          "&from=2026-03-01&to=2026-03-31")
    assert response.status_code == 404
    response = globex.post("/api/v1/attendance/check-in", {
        "employee": employee.pk, "site": site.pk, "position": position_near(site)},
        format="json")
    assert response.status_code == 404
    response = globex.post("/api/v1/attendance/check-out", {"employee": employee.pk},
                           format="json")
    assert response.status_code == 404
    with in_tenant("acme"):
        assert AttendanceRecord.objects.filter(employee=employee).count() == 1
    with in_tenant("globex"):
        assert not AttendanceRecord.objects.exists()


def test_writes_cannot_reference_another_tenants_rows(globex, in_tenant):
    with in_tenant("acme"):
        rows = make_rows("ACME")
    response = globex.post("/api/v1/attendance/employees", {
        "code": "G1", "name": "G", "default_site": rows["site"].pk}, format="json")
    assert response.status_code == 400
    assert "default_site" in response.json()["error"]["fields"]
    with in_tenant("globex"):
        assert not Employee.objects.exists() and not Site.objects.exists()


def test_export_of_a_tenant_holds_only_its_own_employees(db, in_tenant):
    with in_tenant("acme"):
        make_rows("ACME")
    with in_tenant("globex"):
        make_rows("GLOBEX")
        job = Job.objects.create(kind=exports.EXPORT_KIND, params={"month": "2026-03"})
        exports.timesheet_export_run(job, lambda done, total: None)
    codes = {row["employee_code"] for row in csv.DictReader(io.StringIO(job.output_text))}
    assert codes == {"GLOBEX-1"}
