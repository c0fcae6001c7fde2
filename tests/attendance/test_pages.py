"""The attendance pages as a user meets them: check-in refused outside the geofence (or without
a position) and accepted inside, check-out; who is in; a timesheet with its totals; a
correction with its history; positions seen by their employee and admins only (pages and API);
the workplace resources; another tenant's ids in URLs and form fields answered 404."""

import html
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenant_apps.attendance.models import AttendanceCorrection, AttendanceRecord
from tests.attendance.conftest import position_near
from tests.attendance.factories import (
    AttendanceRecordFactory,
    EmployeeFactory,
    ShiftAssignmentFactory,
    ShiftFactory,
    SiteFactory,
)


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_check_in_is_refused_outside_the_geofence_and_accepted_inside(member_employee,
                                                                      in_tenant):
    with in_tenant("acme"):
        site = SiteFactory(name="Gate", radius_m=100)
    client, employee = member_employee("acme", default_site=site)
    page = _text(client.get("/attendance/"))
    assert "You are checked out" in page
    no_position = client.post("/attendance/", {"action": "check-in"})
    assert no_position.status_code == 400
    assert "Your browser sent no position" in _text(no_position)
    far = client.post("/attendance/", {"action": "check-in",
                                       **position_near(site, north_m=1500)})
    assert far.status_code == 400
    assert re.search(r"The position is 15\d\d m from Gate; check-in is accepted within 100 m",
                     _text(far))
    near = client.post("/attendance/", {"action": "check-in", **position_near(site)})
    assert near.status_code == 302
    page = _text(client.get("/attendance/"))
    assert "You are checked in" in page and re.search(r"Since \d{4}-\d\d-\d\d \d\d:\d\d CES?T",
                                                      page)
    assert employee.name in _text(client.get("/attendance/present/"))
    out = client.post("/attendance/", {"action": "check-out", **position_near(site)})
    assert out.status_code == 302
    with in_tenant("acme"):
        record = AttendanceRecord.objects.get(employee=employee)
        assert record.check_out_at is not None and record.source == "web"


def test_an_account_without_an_employee_is_told_so(client_for):
    client = client_for("acme", role="member")
    assert "Your account is not linked to an employee" in _text(client.get("/attendance/"))


def test_positions_are_seen_by_their_employee_and_admins_only(member_employee, client_for,
                                                              in_tenant):
    client, me = member_employee("acme")
    with in_tenant("acme"):
        colleague = EmployeeFactory(name="Colleague")
        for employee, lat in ((me, "52.500001"), (colleague, "52.511111")):
            AttendanceRecordFactory(employee=employee, site=employee.default_site,
                                    check_in_latitude=lat, check_in_longitude="13.4",
                                    check_in_accuracy_m=5)
    page = _text(client.get("/attendance/records/"))
    assert "52.500001" in page and "52.511111" not in page and "hidden" in page
    api = {r["employee"]: r for r in client.get("/api/v1/attendance/records").json()["results"]}
    assert api[me.pk]["check_in_latitude"] is not None
    assert api[colleague.pk]["check_in_latitude"] is None
    admin = client_for("acme", role="admin")
    assert "52.511111" in _text(admin.get("/attendance/records/"))
    api = {r["employee"]: r for r in admin.get("/api/v1/attendance/records").json()["results"]}
    assert api[colleague.pk]["check_in_latitude"] is not None


def test_a_timesheet_shows_days_and_totals_in_the_sites_zone(client_for, in_tenant):
    client = client_for("acme", role="viewer")
    with in_tenant("acme"):
        site = SiteFactory(time_zone="Europe/Berlin")
        employee = EmployeeFactory(name="Ada", default_site=site)
        ShiftAssignmentFactory(employee=employee, site=site,
                               shift=ShiftFactory(start_time=time(9), end_time=time(17),
                                                  weekdays=[1, 2, 3, 4, 5], grace_minutes=5),
                               valid_from=date(2026, 3, 1))
        # Monday 2 March 2026, 09:20-17:00 Berlin (CET = UTC+1): 20 minutes late.
        AttendanceRecordFactory(employee=employee, site=site,
                                check_in_at=datetime(2026, 3, 2, 8, 20, tzinfo=UTC),
                                check_out_at=datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    page = _text(client.get("/attendance/timesheets/",
                            {"employee": employee.pk, "month": "2026-03"}))
    assert "Ada · March 2026" in page
    assert "Mon 02 Mar" in page and "09:20 CET" in page and "17:00 CET" in page
    assert "late 20 min" in page and "7 h 40 min" in page
    assert re.search(r"(\d+) absences", page).group(1) == "21"  # the other weekdays of March
    bad = client.get("/attendance/timesheets/", {"employee": employee.pk, "month": "March"})
    assert bad.status_code == 400 and "Use YYYY-MM" in _text(bad)


def test_an_admin_corrects_a_record_and_the_history_says_who_and_why(client_for, in_tenant):
    admin = client_for("acme", role="admin")
    with in_tenant("acme"):
        site = SiteFactory(time_zone="Europe/Berlin")
        record = AttendanceRecordFactory(site=site,
                                         check_in_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
                                         check_out_at=datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    url = f"/attendance/records/{record.pk}/"
    page = admin.get(url).content.decode()
    assert 'value="2026-03-02T09:00"' in page, "typed in the site's zone"
    form = {"site": site.pk, "check_in_at": "2026-03-02T08:30",
            "check_out_at": "2026-03-02T17:00", "reason": ""}
    refused = admin.post(url, form)
    assert refused.status_code == 400 and "This field is required." in _text(refused)
    backwards = admin.post(url, {**form, "check_out_at": "2026-03-02T08:00", "reason": "x"})
    assert backwards.status_code == 400
    assert admin.post(url, {**form, "reason": "Forgot to check in"}).status_code == 302
    with in_tenant("acme"):
        correction = AttendanceCorrection.objects.get(record=record)
        assert correction.field == "check_in_at" and correction.changed_by == admin.user
    history = _text(admin.get(url))
    assert "Forgot to check in" in history and admin.user.email in history
    member = client_for("acme", role="member")
    assert member.post(url, {**form, "reason": "me"}).status_code == 403


def test_sites_shifts_and_assignments_are_managed_with_inline_errors(client_for, in_tenant):
    admin = client_for("acme", role="admin")
    site = admin.post("/attendance/sites/new", {"name": "Depot", "latitude": "52.5",
                                                "longitude": "13.4", "radius_m": "150",
                                                "time_zone": "Europe/Berlin"})
    assert site.status_code == 302
    assert "150 m" in _text(admin.get("/attendance/sites/"))
    same = admin.post("/attendance/shifts/new", {"name": "Odd", "start_time": "09:00",
                                                 "end_time": "09:00", "weekdays": ["1"],
                                                 "grace_minutes": "5"})
    assert "A shift cannot end when it starts." in _text(same)
    night = admin.post("/attendance/shifts/new", {"name": "Night", "start_time": "22:00",
                                                  "end_time": "06:00", "weekdays": ["1", "2"],
                                                  "grace_minutes": "5"})
    assert night.status_code == 302
    assert "22:00-06:00 (overnight)" in _text(admin.get("/attendance/shifts/"))
    with in_tenant("acme"):
        employee, shift = EmployeeFactory(), ShiftFactory(weekdays=[1])
        site_row = employee.default_site
        ShiftAssignmentFactory(employee=employee, shift=shift, site=site_row,
                               valid_from=date(2026, 1, 1))
    overlap = admin.post("/attendance/assignments/new", {
        "employee": employee.pk, "shift": shift.pk, "site": site_row.pk,
        "valid_from": "2026-02-01", "valid_to": ""})
    assert "already works shift" in _text(overlap)


def test_another_tenants_ids_in_urls_and_form_fields_are_404(client_for, in_tenant):
    admin = client_for("acme", role="owner")
    with in_tenant("globex"):
        record = AttendanceRecordFactory()
        employee, site = record.employee, record.site
        shift = ShiftFactory()
        assignment = ShiftAssignmentFactory(employee=employee, site=site, shift=shift)
    for url in (f"/attendance/records/{record.pk}/", f"/attendance/sites/{site.pk}/edit",
                f"/attendance/employees/{employee.pk}/edit", f"/attendance/shifts/{shift.pk}/edit",
                f"/attendance/assignments/{assignment.pk}/edit"):
        assert admin.get(url).status_code == 404, url
    assert admin.post(f"/attendance/sites/{site.pk}/delete").status_code == 404
    with in_tenant("acme"):
        mine = EmployeeFactory()
    refused = admin.post("/attendance/assignments/new", {
        "employee": mine.pk, "shift": shift.pk, "site": site.pk, "valid_from": "2026-01-01"})
    assert refused.status_code == 200 and "Select a valid choice" in _text(refused)
    sheet = admin.get("/attendance/timesheets/", {"employee": employee.pk, "month": "2026-03"})
    assert sheet.status_code == 400 and employee.name not in _text(sheet)


@pytest.mark.parametrize("url", ["/attendance/records/", "/attendance/present/",
                                 "/attendance/employees/", "/attendance/assignments/",
                                 "/attendance/", "/"])
def test_page_queries_do_not_grow_with_the_rows(url, member_employee, in_tenant):
    client, me = member_employee("acme", role="admin")

    def add(count: int) -> None:
        with in_tenant("acme"):
            for _ in range(count):
                employee = EmployeeFactory()
                ShiftAssignmentFactory(employee=employee, site=employee.default_site)
                AttendanceRecordFactory(employee=employee, site=employee.default_site,
                                        check_in_at=datetime.now(UTC) - timedelta(hours=1),
                                        check_out_at=None)
                AttendanceRecordFactory(employee=me, site=employee.default_site,
                                        check_in_at=datetime.now(UTC) - timedelta(days=2 + _),
                                        check_out_at=datetime.now(UTC) - timedelta(days=2 + _)
                                        + timedelta(hours=1))

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    add(1)
    few = count()
    add(8)
    assert count() == few
