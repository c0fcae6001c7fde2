"""Sites, employees, shifts and shift assignments through the API: CRUD, validation, filters."""

from __future__ import annotations

import pytest

from tenant_apps.attendance.models import Employee, Shift, ShiftAssignment, Site
from tests.attendance.factories import (
    AttendanceRecordFactory,
    EmployeeFactory,
    ShiftAssignmentFactory,
    ShiftFactory,
    SiteFactory,
)

SITE = {"name": "Berlin HQ", "latitude": "52.520008", "longitude": "13.404954",
        "radius_m": 150, "time_zone": "Europe/Berlin"}


@pytest.fixture
def admin(client_for):
    return client_for("acme", role="admin")


def count(in_tenant, model) -> int:
    with in_tenant("acme"):
        return model.objects.count()


def test_admin_creates_reads_updates_and_deletes_a_site(admin, in_tenant):
    response = admin.post("/api/v1/attendance/sites", SITE, format="json")
    assert response.status_code == 201, response.content
    site = response.json()
    assert site["latitude"] == 52.520008 and site["time_zone"] == "Europe/Berlin"

    response = admin.patch(f"/api/v1/attendance/sites/{site['id']}", {"radius_m": 300},
                           format="json")
    assert response.status_code == 200 and response.json()["radius_m"] == 300
    assert admin.get(f"/api/v1/attendance/sites/{site['id']}").json()["radius_m"] == 300

    assert admin.delete(f"/api/v1/attendance/sites/{site['id']}").status_code == 204
    assert admin.get(f"/api/v1/attendance/sites/{site['id']}").status_code == 404


@pytest.mark.parametrize("time_zone", ["Mars/Olympus_Mons", "../../etc/passwd", "",
                                       "europe/berlin", "UTC+2"])
def test_site_time_zone_must_be_an_iana_name(admin, in_tenant, time_zone):
    response = admin.post("/api/v1/attendance/sites", {**SITE, "time_zone": time_zone},
                          format="json")
    assert response.status_code == 400
    assert "time_zone" in response.json()["error"]["fields"]
    assert count(in_tenant, Site) == 0


@pytest.mark.parametrize(("field", "value"), [
    ("latitude", "90.5"), ("longitude", 181), ("latitude", "1e400"),
    ("radius_m", 0), ("radius_m", 10**30), ("radius_m", "wide"), ("name", ""),
])
def test_site_fields_are_validated(admin, in_tenant, field, value):
    response = admin.post("/api/v1/attendance/sites", {**SITE, field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert count(in_tenant, Site) == 0


def test_unknown_fields_are_refused_and_listed(admin, in_tenant):
    response = admin.post("/api/v1/attendance/sites", {**SITE, "radius": 5, "colour": "red"},
                          format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"radius", "colour"}
    assert count(in_tenant, Site) == 0


def test_duplicate_site_name_is_a_field_error(admin, in_tenant):
    with in_tenant("acme"):
        SiteFactory(name="Berlin HQ")
    response = admin.post("/api/v1/attendance/sites", SITE, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]


def test_site_in_use_cannot_be_deleted(admin, in_tenant):
    with in_tenant("acme"):
        record = AttendanceRecordFactory()
    response = admin.delete(f"/api/v1/attendance/sites/{record.site_id}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "site_in_use"
    assert count(in_tenant, Site) == 1


def test_employee_crud_and_user_link(admin, make_user, in_tenant):
    with in_tenant("acme"):
        site = SiteFactory()
    user = make_user("acme", role="member")
    body = {"code": " E100 ", "name": "Ada", "email": "ada@acme.test", "user": user.pk,
            "default_site": site.pk}

    response = admin.post("/api/v1/attendance/employees", body, format="json")

    assert response.status_code == 201, response.content
    employee = response.json()
    assert employee["code"] == "E100"
    assert employee["user_email"] == user.email and employee["default_site_name"] == site.name
    response = admin.post("/api/v1/attendance/employees", {**body, "code": "E101"}, format="json")
    assert response.status_code == 400
    assert "already linked" in response.json()["error"]["fields"]["user"][0]
    response = admin.post("/api/v1/attendance/employees", {**body, "user": None}, format="json")
    assert response.status_code == 400 and "code" in response.json()["error"]["fields"]

    response = admin.patch(f"/api/v1/attendance/employees/{employee['id']}", {"active": False},
                           format="json")
    assert response.status_code == 200 and response.json()["active"] is False


def test_employee_with_records_cannot_be_deleted(admin, in_tenant):
    with in_tenant("acme"):
        record = AttendanceRecordFactory()
    response = admin.delete(f"/api/v1/attendance/employees/{record.employee_id}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "employee_has_records"
    assert count(in_tenant, Employee) == 1


def test_employee_list_filters_searches_and_orders(admin, in_tenant):
    with in_tenant("acme"):
        site = SiteFactory()
        EmployeeFactory(code="B-2", name="Bob Stone", default_site=site)
        EmployeeFactory(code="A-1", name="Alice Stone", active=False)
        EmployeeFactory(code="C-3", name="Carol Reed")

    def codes(query: str) -> list[str]:
        response = admin.get(f"/api/v1/attendance/employees?{query}")
        assert response.status_code == 200, response.content
        return [e["code"] for e in response.json()["results"]]

    assert codes("") == ["A-1", "B-2", "C-3"]
    assert codes("ordering=-code") == ["C-3", "B-2", "A-1"]
    assert codes("search=stone") == ["A-1", "B-2"]
    assert codes("active=false") == ["A-1"]
    assert codes(f"default_site={site.pk}") == ["B-2"]
    assert admin.get("/api/v1/attendance/employees?page_size=1").json()["count"] == 3
    assert admin.get("/api/v1/attendance/employees?active=maybe").status_code == 400


def test_shift_crud_and_validation(admin, in_tenant):
    body = {"name": "Night", "start_time": "22:00", "end_time": "06:00",
            "weekdays": [5, 1, 3], "grace_minutes": 10}
    response = admin.post("/api/v1/attendance/shifts", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["weekdays"] == [1, 3, 5]
    assert response.json()["crosses_midnight"] is True

    for bad in ({"end_time": "22:00"}, {"weekdays": [0]}, {"weekdays": [8]},
                {"weekdays": []}, {"weekdays": [1, 1]}, {"grace_minutes": 241},
                {"start_time": "25:00"}, {"weekdays": "monday"}):
        response = admin.post("/api/v1/attendance/shifts", {**body, "name": "Other", **bad},
                              format="json")
        assert response.status_code == 400, (bad, response.content)
        [field] = bad
        assert any(key.split(".")[0] == field for key in response.json()["error"]["fields"])
    assert count(in_tenant, Shift) == 1

    shift_id = admin.get("/api/v1/attendance/shifts").json()["results"][0]["id"]
    response = admin.patch(f"/api/v1/attendance/shifts/{shift_id}", {"start_time": "06:00"},
                           format="json")
    assert response.status_code == 400, "start would equal end"
    assert admin.delete(f"/api/v1/attendance/shifts/{shift_id}").status_code == 204


def test_shift_in_use_cannot_be_deleted(admin, in_tenant):
    with in_tenant("acme"):
        assignment = ShiftAssignmentFactory()
    response = admin.delete(f"/api/v1/attendance/shifts/{assignment.shift_id}")
    assert response.status_code == 409 and response.json()["error"]["code"] == "shift_in_use"


def test_assignments_may_not_overlap_on_a_weekday(admin, in_tenant):
    with in_tenant("acme"):
        employee = EmployeeFactory()
        weekdays = ShiftFactory(weekdays=[1, 2, 3, 4, 5])
        weekend = ShiftFactory(weekdays=[6, 7])
        monday_only = ShiftFactory(weekdays=[1])
        ShiftAssignmentFactory(employee=employee, shift=weekdays, valid_from="2026-01-01",
                               valid_to="2026-06-30")

    def assign(shift, valid_from, valid_to=None):
        return admin.post("/api/v1/attendance/shift-assignments", {
            "employee": employee.pk, "shift": shift.pk, "site": employee.default_site_id,
            "valid_from": valid_from, "valid_to": valid_to}, format="json")

    response = assign(monday_only, "2026-06-01")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "assignment_overlaps"
    assert assign(weekend, "2026-01-01").status_code == 201  # other weekdays: fine
    assert assign(monday_only, "2026-07-01").status_code == 201  # after the first one ends
    response = assign(monday_only, "2026-05-01", "2026-04-01")
    assert response.status_code == 400 and "valid_to" in response.json()["error"]["fields"]
    assert count(in_tenant, ShiftAssignment) == 3


def test_changing_a_shifts_weekdays_cannot_create_an_overlap(admin, in_tenant):
    with in_tenant("acme"):
        employee = EmployeeFactory()
        weekdays = ShiftFactory(weekdays=[1, 2, 3, 4, 5])
        weekend = ShiftFactory(weekdays=[6, 7])
        ShiftAssignmentFactory(employee=employee, shift=weekdays)
        ShiftAssignmentFactory(employee=employee, shift=weekend)

    response = admin.patch(f"/api/v1/attendance/shifts/{weekend.pk}", {"weekdays": [5, 6, 7]},
                           format="json")

    assert response.status_code == 409
    with in_tenant("acme"):
        weekend.refresh_from_db()
    assert weekend.weekdays == [6, 7]


def test_assignment_list_filters(admin, in_tenant):
    with in_tenant("acme"):
        current = ShiftAssignmentFactory(valid_from="2026-01-01", valid_to="2026-03-31")
        ShiftAssignmentFactory(valid_from="2026-04-01")
    response = admin.get("/api/v1/attendance/shift-assignments?active_on=2026-03-15")
    assert [a["id"] for a in response.json()["results"]] == [current.pk]
    response = admin.get(f"/api/v1/attendance/shift-assignments?employee={current.employee_id}")
    assert [a["id"] for a in response.json()["results"]] == [current.pk]
    response = admin.get("/api/v1/attendance/shift-assignments?active_on=yesterday")
    assert response.status_code == 400
