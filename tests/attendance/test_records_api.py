"""Attendance records: list filters, admin corrections with their log, the timesheet API."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tenant_apps.attendance.models import AttendanceCorrection, AttendanceRecord
from tests.attendance.factories import (
    AttendanceRecordFactory,
    EmployeeFactory,
    ShiftAssignmentFactory,
    ShiftFactory,
    SiteFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def admin(client_for):
    return client_for("acme", role="admin")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- list filters ------------------------------------------------------------------------------


def test_records_filter_by_employee_site_open_and_local_date(admin, in_tenant):
    with in_tenant("acme"):
        berlin = SiteFactory(time_zone="Europe/Berlin")
        new_york = SiteFactory(time_zone="America/New_York")
        anna = EmployeeFactory(default_site=berlin)
        ben = EmployeeFactory(default_site=new_york)
        # 00:30 in Berlin on 3 March is still 2 March in UTC.
        early = AttendanceRecordFactory(
            employee=anna, check_in_at=datetime(2026, 3, 3, 0, 30, tzinfo=BERLIN))
        # 22:00 in New York on 3 March is 4 March in UTC.
        late = AttendanceRecordFactory(
            employee=ben, check_in_at=datetime(2026, 3, 3, 22, 0, tzinfo=ZoneInfo(
                "America/New_York")))
        still_in = AttendanceRecordFactory(
            employee=anna, check_in_at=datetime(2026, 3, 5, 8, 0, tzinfo=UTC),
            check_out_at=None)

    assert ids(admin.get(f"/api/v1/attendance/records?employee={anna.pk}")) == [
        still_in.pk, early.pk]
    assert ids(admin.get(f"/api/v1/attendance/records?site={new_york.pk}")) == [late.pk]
    assert ids(admin.get("/api/v1/attendance/records?open=true")) == [still_in.pk]
    assert ids(admin.get("/api/v1/attendance/records?open=false&ordering=check_in_at")) == [
        early.pk, late.pk]
    # Local dates at each record's site:
    assert ids(admin.get("/api/v1/attendance/records?from=2026-03-03&to=2026-03-03")) == [
        late.pk, early.pk]
    assert ids(admin.get("/api/v1/attendance/records?to=2026-03-02")) == []
    assert ids(admin.get("/api/v1/attendance/records?from=2026-03-04")) == [still_in.pk]
    assert ids(admin.get(f"/api/v1/attendance/records?search={ben.code}")) == [late.pk]
    assert ids(admin.get("/api/v1/attendance/records?employee=999999")) == []


@pytest.mark.parametrize("query", ["from=2026-02-30", "to=tomorrow", "open=perhaps",
                                   "employee=abc", "source=carrier-pigeon"])
def test_bad_filters_are_400(admin, query):
    response = admin.get(f"/api/v1/attendance/records?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]


def test_records_cannot_be_created_or_deleted_directly(admin, in_tenant):
    with in_tenant("acme"):
        record = AttendanceRecordFactory()
    assert admin.post("/api/v1/attendance/records", {}, format="json").status_code == 405
    assert admin.delete(f"/api/v1/attendance/records/{record.pk}").status_code == 405
    assert admin.put(f"/api/v1/attendance/records/{record.pk}", {},
                     format="json").status_code == 405


# --- corrections -------------------------------------------------------------------------------


def test_admin_correction_changes_the_record_and_logs_who_what_why(admin, in_tenant):
    with in_tenant("acme"):
        record = AttendanceRecordFactory(check_out_at=None)
        other_site = SiteFactory()
    check_out = record.check_in_at + timedelta(hours=7, minutes=30)

    response = admin.patch(f"/api/v1/attendance/records/{record.pk}", {
        "check_out_at": check_out.isoformat(), "site": other_site.pk,
        "reason": "Forgot to check out; confirmed by the shift lead."}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["open"] is False and body["site"] == other_site.pk
    assert body["worked_minutes"] == 450
    log = admin.get(f"/api/v1/attendance/corrections?record={record.pk}&ordering=id").json()
    assert [(c["field"], c["old_value"], c["new_value"]) for c in log["results"]] == [
        ("site", str(record.site_id), str(other_site.pk)),
        ("check_out_at", "", check_out.isoformat()),
    ]
    assert {c["changed_by"] for c in log["results"]} == {admin.user.email}
    assert {c["reason"] for c in log["results"]} == {
        "Forgot to check out; confirmed by the shift lead."}


def test_unchanged_values_are_not_logged(admin, in_tenant):
    with in_tenant("acme"):
        record = AttendanceRecordFactory()
    response = admin.patch(f"/api/v1/attendance/records/{record.pk}", {
        "check_in_at": record.check_in_at.isoformat(), "reason": "checking"}, format="json")
    assert response.status_code == 200
    with in_tenant("acme"):
        assert not AttendanceCorrection.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"check_in_at": "2026-03-02T07:00:00Z"}, "reason"),
    ({"check_in_at": "2026-03-02T07:00:00Z", "reason": "   "}, "reason"),
    ({"check_in_at": "2026-03-02T07:00:00", "reason": "naive"}, "check_in_at"),
    ({"check_in_at": "2026-03-02T20:00:00Z", "reason": "after out"}, "check_out_at"),
    ({"check_out_at": "2999-01-01T00:00:00Z", "reason": "future"}, "check_out_at"),
    ({"check_in_at": "not a time", "reason": "x"}, "check_in_at"),
    ({"employee": 1, "reason": "x"}, "employee"),
    ({"source": "kiosk", "reason": "x"}, "source"),
])
def test_invalid_corrections_are_400_and_change_nothing(admin, in_tenant, body, field):
    with in_tenant("acme"):
        record = AttendanceRecordFactory()  # 08:00-16:00 UTC on 2026-03-02
    response = admin.patch(f"/api/v1/attendance/records/{record.pk}", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    with in_tenant("acme"):
        fresh = AttendanceRecord.objects.get(pk=record.pk)
        assert (fresh.check_in_at, fresh.check_out_at) == (record.check_in_at,
                                                           record.check_out_at)
        assert not AttendanceCorrection.objects.exists()


def test_correction_with_only_a_reason_is_400(admin, in_tenant):
    with in_tenant("acme"):
        record = AttendanceRecordFactory()
    response = admin.patch(f"/api/v1/attendance/records/{record.pk}", {"reason": "x"},
                           format="json")
    assert response.status_code == 400


def test_correction_may_not_overlap_another_record(admin, in_tenant):
    with in_tenant("acme"):
        first = AttendanceRecordFactory()  # 08:00-16:00
        second = AttendanceRecordFactory(employee=first.employee,
                                         check_in_at=first.check_in_at + timedelta(days=1))
    response = admin.patch(f"/api/v1/attendance/records/{second.pk}", {
        "check_in_at": (first.check_out_at - timedelta(hours=1)).isoformat(),
        "reason": "typo"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "record_overlaps"


def test_reopening_a_record_while_another_is_open_is_refused(admin, in_tenant):
    with in_tenant("acme"):
        closed = AttendanceRecordFactory()
        AttendanceRecordFactory(employee=closed.employee, check_out_at=None,
                                check_in_at=closed.check_in_at + timedelta(days=1))
    response = admin.patch(f"/api/v1/attendance/records/{closed.pk}", {
        "check_out_at": None, "reason": "reopen"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_checked_in"


def test_members_cannot_correct(member_employee, in_tenant):
    client, employee = member_employee()
    with in_tenant("acme"):
        record = AttendanceRecordFactory(employee=employee)
    response = client.patch(f"/api/v1/attendance/records/{record.pk}", {
        "check_in_at": "2026-03-02T07:00:00Z", "reason": "I was early"}, format="json")
    assert response.status_code == 403


def test_correcting_a_missing_record_is_404(admin):
    response = admin.patch("/api/v1/attendance/records/999999",
                           {"check_in_at": "2026-03-02T07:00:00Z", "reason": "x"},
                           format="json")
    assert response.status_code == 404


# --- timesheet API -----------------------------------------------------------------------------


def test_timesheet_endpoint_reports_days_in_local_time(client_for, in_tenant):
    viewer = client_for("acme", role="viewer")
    with in_tenant("acme"):
        site = SiteFactory(time_zone="Europe/Berlin")
        employee = EmployeeFactory(default_site=site)
        shift = ShiftFactory(start_time=time(9), end_time=time(17), weekdays=[1, 2, 3, 4, 5],
                             grace_minutes=5)
        ShiftAssignmentFactory(employee=employee, shift=shift, site=site)
        AttendanceRecordFactory(employee=employee,
                                check_in_at=datetime(2026, 3, 2, 9, 20, tzinfo=BERLIN),
                                check_out_at=datetime(2026, 3, 2, 17, 0, tzinfo=BERLIN))

    response = viewer.get(f"/api/v1/attendance/timesheet?employee={employee.pk}"
                          "&from=2026-03-02&to=2026-03-03")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["employee"]["code"] == employee.code
    assert (body["from"], body["to"]) == ("2026-03-02", "2026-03-03")
    monday, tuesday = body["days"]
    assert monday["status"] == "present" and monday["late_minutes"] == 20
    assert monday["first_check_in"] == "2026-03-02T09:20:00+01:00"
    assert monday["last_check_out"] == "2026-03-02T17:00:00+01:00"
    assert monday["shift"]["start"] == "2026-03-02T09:00:00+01:00"
    assert monday["worked_hours"] == 7.67
    assert tuesday["status"] == "absent"
    assert body["totals"]["absences"] == 1 and body["totals"]["late_arrivals"] == 1


@pytest.mark.parametrize("query", [
    "", "employee=1", "employee=x&from=2026-03-01&to=2026-03-02",
    "employee=1&from=2026-03-05&to=2026-03-01", "employee=1&from=2026-13-01&to=2026-03-01",
    "employee=1&from=2020-01-01&to=2026-01-01",
])
def test_timesheet_query_errors_are_400(client_for, query):
    response = client_for("acme", role="viewer").get(f"/api/v1/attendance/timesheet?{query}")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("employee", ["999999", "99999999999999999999999"])
def test_timesheet_of_an_unknown_employee_is_404(client_for, employee):
    response = client_for("acme", role="viewer").get(
        f"/api/v1/attendance/timesheet?employee={employee}&from=2026-03-01&to=2026-03-02")
    assert response.status_code == 404
