"""Timesheets: local days, lateness, early leaves, absences, across time zones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tenant_apps.attendance.selectors import timesheet_for_employee
from tests.attendance.factories import (
    AttendanceRecordFactory,
    EmployeeFactory,
    ShiftAssignmentFactory,
    ShiftFactory,
    SiteFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")
LATER = datetime(2030, 1, 1, tzinfo=UTC)  # "now" for periods that are over


@pytest.fixture
def acme(db, in_tenant):
    with in_tenant("acme"):
        yield


def local(zone: ZoneInfo, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def employee_on_shift(zone: ZoneInfo, start: time, end: time, weekdays=(1, 2, 3, 4, 5, 6, 7),
                      grace: int = 5, valid_from: date = date(2026, 1, 1)):
    site = SiteFactory(time_zone=zone.key)
    employee = EmployeeFactory(default_site=site)
    shift = ShiftFactory(start_time=start, end_time=end, weekdays=list(weekdays),
                         grace_minutes=grace)
    ShiftAssignmentFactory(employee=employee, shift=shift, site=site, valid_from=valid_from)
    return employee


def work(employee, check_in: datetime, check_out: datetime | None):
    return AttendanceRecordFactory(employee=employee, site=employee.default_site,
                                   check_in_at=check_in, check_out_at=check_out)


def day_of(employee, day: date, now: datetime = LATER):
    sheet = timesheet_for_employee(employee=employee, date_from=day, date_to=day, now=now)
    [result] = sheet.days
    return result


# --- daylight saving ---------------------------------------------------------------------------


def test_night_shift_into_spring_forward_counts_real_hours(acme):
    # Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST. The wall clock shows 22:00 -> 07:00
    # (9 hours) but 8 real hours pass.
    employee = employee_on_shift(BERLIN, time(22), time(6))
    work(employee, local(BERLIN, 2026, 3, 28, 22, 0), local(BERLIN, 2026, 3, 29, 7, 0))

    day = day_of(employee, date(2026, 3, 28))

    assert day.worked_minutes == 8 * 60
    assert day.occurrence.minutes == 7 * 60  # the 22:00-06:00 shift is 7 real hours that night
    assert (day.late_minutes, day.early_leave_minutes) == (0, 0)
    assert day.status == "present"


def test_night_shift_into_fall_back_lasts_nine_real_hours(acme):
    # Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET; 22:00 -> 06:00 is 9 real hours.
    employee = employee_on_shift(BERLIN, time(22), time(6))
    work(employee, local(BERLIN, 2026, 10, 24, 22, 0), local(BERLIN, 2026, 10, 25, 6, 0))
    colleague = employee_on_shift(BERLIN, time(22), time(6))
    # Leaving after 8 real hours is leaving an hour early that night.
    work(colleague, local(BERLIN, 2026, 10, 24, 22, 0), local(BERLIN, 2026, 10, 25, 5, 0))

    full = day_of(employee, date(2026, 10, 24))
    short = day_of(colleague, date(2026, 10, 24))

    assert full.worked_minutes == 9 * 60 and full.early_leave_minutes == 0
    assert short.worked_minutes == 8 * 60 and short.early_leave_minutes == 60


def test_day_shift_on_the_dst_sunday_is_eight_hours(acme):
    employee = employee_on_shift(BERLIN, time(9), time(17))
    work(employee, local(BERLIN, 2026, 3, 29, 9, 0), local(BERLIN, 2026, 3, 29, 17, 0))
    day = day_of(employee, date(2026, 3, 29))
    assert day.worked_minutes == 480 and day.occurrence.minutes == 480
    # The shift's start is 09:00 CEST, i.e. 07:00 UTC after the change.
    assert day.occurrence.start == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_week_across_the_change_keeps_local_shift_times(acme):
    employee = employee_on_shift(BERLIN, time(9), time(17), weekdays=(5, 6, 7, 1))
    for day in (27, 28, 29, 30):  # Fri..Mon around the change, all on time
        work(employee, local(BERLIN, 2026, 3, day, 9, 0), local(BERLIN, 2026, 3, day, 17, 0))

    sheet = timesheet_for_employee(employee=employee, date_from=date(2026, 3, 27),
                                   date_to=date(2026, 3, 30), now=LATER)

    assert [d.late_minutes for d in sheet.days] == [0, 0, 0, 0]
    assert sheet.totals.worked_minutes == sheet.totals.scheduled_minutes == 4 * 480


# --- zones without DST, and local days ---------------------------------------------------------


def test_kolkata_late_early_absent_and_totals(acme):
    # Mon 2026-03-02 .. Sun 2026-03-08; shift Mon-Fri 09:00-17:00, 10 minutes' grace.
    employee = employee_on_shift(KOLKATA, time(9), time(17), weekdays=(1, 2, 3, 4, 5),
                                 grace=10)
    work(employee, local(KOLKATA, 2026, 3, 2, 9, 8), local(KOLKATA, 2026, 3, 2, 17, 5))  # ok
    work(employee, local(KOLKATA, 2026, 3, 3, 9, 25), local(KOLKATA, 2026, 3, 3, 17, 0))  # late
    work(employee, local(KOLKATA, 2026, 3, 4, 9, 0), local(KOLKATA, 2026, 3, 4, 16, 30))  # early
    # Thursday the 5th: no record -> absent.
    work(employee, local(KOLKATA, 2026, 3, 6, 9, 0), local(KOLKATA, 2026, 3, 6, 12, 0))
    work(employee, local(KOLKATA, 2026, 3, 6, 12, 45), local(KOLKATA, 2026, 3, 6, 17, 0))

    sheet = timesheet_for_employee(employee=employee, date_from=date(2026, 3, 2),
                                   date_to=date(2026, 3, 8), now=LATER)
    by_date = {d.date.day: d for d in sheet.days}

    assert by_date[2].late_minutes == 0 and by_date[2].worked_minutes == 8 * 60 - 3
    assert by_date[3].late_minutes == 25
    assert by_date[4].early_leave_minutes == 30
    assert by_date[5].status == "absent"
    assert by_date[6].worked_minutes == 3 * 60 + 4 * 60 + 15  # a lunch break is not work
    assert by_date[6].late_minutes == by_date[6].early_leave_minutes == 0
    assert by_date[7].status == by_date[8].status == "off"
    totals = sheet.totals
    assert (totals.days_present, totals.absences) == (4, 1)
    assert (totals.late_arrivals, totals.late_minutes) == (1, 25)
    assert (totals.early_leaves, totals.early_leave_minutes) == (1, 30)
    assert totals.scheduled_minutes == 5 * 480


def test_arriving_exactly_at_the_end_of_grace_is_on_time(acme):
    employee = employee_on_shift(KOLKATA, time(9), time(17), grace=5)
    work(employee, local(KOLKATA, 2026, 3, 2, 9, 5), local(KOLKATA, 2026, 3, 2, 16, 55))
    day = day_of(employee, date(2026, 3, 2))
    assert (day.late_minutes, day.early_leave_minutes) == (0, 0)


def test_check_in_at_2330_local_counts_on_that_local_day(acme):
    # New York is behind UTC: 23:30 on the 15th is 04:30 UTC on the 16th.
    site = SiteFactory(time_zone="America/New_York")
    employee = EmployeeFactory(default_site=site)
    work(employee, local(NEW_YORK, 2026, 1, 15, 23, 30), local(NEW_YORK, 2026, 1, 16, 1, 30))

    sheet = timesheet_for_employee(employee=employee, date_from=date(2026, 1, 15),
                                   date_to=date(2026, 1, 16), now=LATER)

    assert [(d.date.day, d.worked_minutes) for d in sheet.days] == [(15, 120), (16, 0)]


def test_check_in_after_local_midnight_ahead_of_utc_counts_on_the_local_day(acme):
    # Kolkata is ahead of UTC: 00:30 on the 16th is 19:00 UTC on the 15th.
    site = SiteFactory(time_zone="Asia/Kolkata")
    employee = EmployeeFactory(default_site=site)
    work(employee, local(KOLKATA, 2026, 1, 16, 0, 30), local(KOLKATA, 2026, 1, 16, 2, 30))

    sheet = timesheet_for_employee(employee=employee, date_from=date(2026, 1, 15),
                                   date_to=date(2026, 1, 16), now=LATER)

    assert [(d.date.day, d.worked_minutes) for d in sheet.days] == [(15, 0), (16, 120)]


def test_night_shift_crossing_midnight_belongs_to_the_day_it_starts(acme):
    employee = employee_on_shift(KOLKATA, time(22), time(6), weekdays=(1,))  # Mondays
    # Monday 2026-03-02's shift; the employee arrives 2.5 hours late, after midnight.
    work(employee, local(KOLKATA, 2026, 3, 3, 0, 30), local(KOLKATA, 2026, 3, 3, 6, 0))

    sheet = timesheet_for_employee(employee=employee, date_from=date(2026, 3, 2),
                                   date_to=date(2026, 3, 3), now=LATER)
    monday, tuesday = sheet.days

    assert monday.status == "present" and monday.late_minutes == 150
    assert monday.worked_minutes == 330
    assert tuesday.status == "off" and tuesday.worked_minutes == 0


def test_early_arrival_for_a_night_shift_counts_on_the_shift_day(acme):
    employee = employee_on_shift(BERLIN, time(0, 30), time(8, 30), weekdays=(2,))  # Tuesdays
    # Arrives 23:50 on Monday for Tuesday's 00:30 shift.
    work(employee, local(BERLIN, 2026, 3, 2, 23, 50), local(BERLIN, 2026, 3, 3, 8, 30))

    sheet = timesheet_for_employee(employee=employee, date_from=date(2026, 3, 2),
                                   date_to=date(2026, 3, 3), now=LATER)
    monday, tuesday = sheet.days

    assert monday.worked_minutes == 0 and monday.status == "off"
    assert tuesday.worked_minutes == 520 and tuesday.late_minutes == 0


def test_shift_not_over_yet_is_upcoming_not_absent(acme):
    employee = employee_on_shift(BERLIN, time(9), time(17))
    now = local(BERLIN, 2026, 3, 2, 12, 0)

    sheet = timesheet_for_employee(employee=employee, date_from=date(2026, 3, 1),
                                   date_to=date(2026, 3, 3), now=now)

    assert [d.status for d in sheet.days] == ["absent", "upcoming", "upcoming"]
    assert sheet.totals.absences == 1


def test_open_record_is_present_but_not_yet_worked(acme):
    employee = employee_on_shift(BERLIN, time(9), time(17))
    work(employee, local(BERLIN, 2026, 3, 2, 9, 0), None)
    day = day_of(employee, date(2026, 3, 2), now=local(BERLIN, 2026, 3, 2, 12, 0))
    assert day.status == "present" and day.open
    assert day.worked_minutes == 0 and day.early_leave_minutes == 0


def test_assignment_validity_bounds_the_schedule(acme):
    employee = employee_on_shift(BERLIN, time(9), time(17), valid_from=date(2026, 3, 4))
    sheet = timesheet_for_employee(employee=employee, date_from=date(2026, 3, 2),
                                   date_to=date(2026, 3, 5), now=LATER)
    assert [d.status for d in sheet.days] == ["off", "off", "absent", "absent"]
