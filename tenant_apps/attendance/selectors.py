"""Reads of the attendance app: the querysets behind the lists, and timesheets.

Timesheet rules (docs/attendance.md explains them with examples):

* Instants are stored in UTC. A shift occurrence is the shift's wall-clock start and end on a
  local date, made aware in the time zone of the assignment's site with zoneinfo and then
  converted to UTC; durations are differences of UTC instants, so a shift or a record across a
  daylight-saving change lasts its real length.
* A record belongs to the shift occurrence it falls in (from ``EARLY_ARRIVAL`` before the start to
  the end), so a night shift and a late arrival after midnight stay on the day the shift
  started; a record outside any occurrence belongs to the local date of its check-in at its site.
* Late: the day's first check-in is more than ``grace_minutes`` after the start. Early leave: the
  day's last check-out is more than ``grace_minutes`` before the end. Absent: a scheduled
  occurrence that has ended with no record.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from tenant_apps.attendance.models import (
    AttendanceCorrection,
    AttendanceRecord,
    Employee,
    Shift,
    ShiftAssignment,
    Site,
)

EARLY_ARRIVAL = timedelta(hours=4)
MAX_PERIOD_DAYS = 366
# UTC offsets lie within -12h..+14h: records checked in this far around the period are fetched,
# then kept or dropped by their local day.
_FETCH_MARGIN = timedelta(days=2)


# --- list querysets ----------------------------------------------------------------------------


def site_list() -> QuerySet[Site]:
    return Site.objects.all()


def employee_list() -> QuerySet[Employee]:
    return Employee.objects.select_related("default_site", "user")


def shift_list() -> QuerySet[Shift]:
    return Shift.objects.all()


def shift_assignment_list() -> QuerySet[ShiftAssignment]:
    return ShiftAssignment.objects.select_related("employee", "shift", "site")


def attendance_record_list() -> QuerySet[AttendanceRecord]:
    return AttendanceRecord.objects.select_related(
        "employee", "site", "checked_in_by", "checked_out_by")


def attendance_correction_list() -> QuerySet[AttendanceCorrection]:
    return AttendanceCorrection.objects.select_related("record__employee", "changed_by")


# --- timesheets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftOccurrence:
    local_date: date
    shift: Shift
    site: Site
    start: datetime  # UTC
    end: datetime  # UTC

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site.time_zone)

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass
class TimesheetDay:
    date: date
    occurrence: ShiftOccurrence | None
    records: list[AttendanceRecord]
    status: str  # present, absent, upcoming (scheduled, not over yet) or off
    worked_minutes: int = 0
    late_minutes: int = 0
    early_leave_minutes: int = 0
    open: bool = False

    @property
    def late(self) -> bool:
        return self.late_minutes > 0

    @property
    def left_early(self) -> bool:
        return self.early_leave_minutes > 0

    @property
    def absent(self) -> bool:
        return self.status == "absent"

    @property
    def first_check_in(self) -> datetime | None:
        return min((r.check_in_at for r in self.records), default=None)

    @property
    def last_check_out(self) -> datetime | None:
        if not self.records or self.open:
            return None
        return max(r.check_out_at for r in self.records)

    @property
    def zone(self) -> ZoneInfo | None:
        if self.occurrence is not None:
            return self.occurrence.zone
        if self.records:
            return ZoneInfo(self.records[0].site.time_zone)
        return None


@dataclass
class TimesheetTotals:
    worked_minutes: int = 0
    scheduled_minutes: int = 0
    days_present: int = 0
    late_arrivals: int = 0
    late_minutes: int = 0
    early_leaves: int = 0
    early_leave_minutes: int = 0
    absences: int = 0


@dataclass
class Timesheet:
    employee: Employee
    date_from: date
    date_to: date
    days: list[TimesheetDay] = field(default_factory=list)
    totals: TimesheetTotals = field(default_factory=TimesheetTotals)


MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def month_bounds(value: str) -> tuple[date, date]:
    """``"2026-03"`` -> (2026-03-01, 2026-03-31); ValueError for anything else."""
    match = MONTH_RE.match(value)
    if not match:
        raise ValueError(value)
    first = date(int(match.group(1)), int(match.group(2)), 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def _local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    # zoneinfo resolves a wall time in the spring-forward gap with the offset before the change
    # (02:30 -> 03:30) and an ambiguous autumn time to its first occurrence (fold=0).
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _occurrence(day: date, assignment: ShiftAssignment) -> ShiftOccurrence:
    shift, zone = assignment.shift, ZoneInfo(assignment.site.time_zone)
    end_day = day + timedelta(days=1) if shift.crosses_midnight else day
    return ShiftOccurrence(local_date=day, shift=shift, site=assignment.site,
                           start=_local_instant(day, shift.start_time, zone),
                           end=_local_instant(end_day, shift.end_time, zone))


def _occurrences(assignments: list[ShiftAssignment], first: date, last: date
                 ) -> dict[date, ShiftOccurrence]:
    """The scheduled shift of each local date in [first, last]. Assignments of one employee
    do not overlap (services refuse it); if old data does, the latest valid_from wins."""
    by_day: dict[date, ShiftOccurrence] = {}
    ordered = sorted(assignments, key=lambda a: (a.valid_from, a.pk))
    day = first
    while day <= last:
        for assignment in ordered:
            if (assignment.valid_from <= day
                    and (assignment.valid_to is None or day <= assignment.valid_to)
                    and day.isoweekday() in assignment.shift.weekdays):
                by_day[day] = _occurrence(day, assignment)
        day += timedelta(days=1)
    return by_day


def _record_day(record: AttendanceRecord, occurrences: dict[date, ShiftOccurrence]) -> date:
    local_day = record.check_in_at.astimezone(ZoneInfo(record.site.time_zone)).date()
    candidates = [occurrences[d] for d in (local_day - timedelta(days=1), local_day,
                                           local_day + timedelta(days=1)) if d in occurrences]
    check_in = record.check_in_at
    # Inside a shift beats the early-arrival window before the next one.
    during = [o for o in candidates if o.start <= check_in < o.end]
    if during:
        return during[0].local_date
    before = [o for o in candidates if o.start - EARLY_ARRIVAL <= check_in < o.start]
    if before:
        return min(before, key=lambda o: o.start - check_in).local_date
    return local_day


def _ceil_minutes(delta: timedelta) -> int:
    return math.ceil(delta.total_seconds() / 60)


def _day(day: date, occurrence: ShiftOccurrence | None, records: list[AttendanceRecord],
         now: datetime) -> TimesheetDay:
    records.sort(key=lambda r: r.check_in_at)
    if records:
        status = "present"
    elif occurrence is None:
        status = "off"
    else:
        status = "absent" if occurrence.end <= now else "upcoming"
    result = TimesheetDay(date=day, occurrence=occurrence, records=records, status=status)
    result.open = any(r.check_out_at is None for r in records)
    worked = sum((r.check_out_at - r.check_in_at for r in records if r.check_out_at),
                 timedelta())
    result.worked_minutes = int(worked.total_seconds() // 60)
    if occurrence is not None and records:
        grace = timedelta(minutes=occurrence.shift.grace_minutes)
        late_by = result.first_check_in - occurrence.start
        if late_by > grace:
            result.late_minutes = _ceil_minutes(late_by)
        if result.last_check_out is not None:
            early_by = occurrence.end - result.last_check_out
            if early_by > grace:
                result.early_leave_minutes = _ceil_minutes(early_by)
    return result


def _totals(days: list[TimesheetDay]) -> TimesheetTotals:
    totals = TimesheetTotals()
    for day in days:
        totals.worked_minutes += day.worked_minutes
        if day.occurrence is not None:
            totals.scheduled_minutes += day.occurrence.minutes
        totals.days_present += day.status == "present"
        totals.absences += day.absent
        totals.late_arrivals += day.late
        totals.late_minutes += day.late_minutes
        totals.early_leaves += day.left_early
        totals.early_leave_minutes += day.early_leave_minutes
    return totals


def _build(employee: Employee, assignments: list[ShiftAssignment],
           records: list[AttendanceRecord], date_from: date, date_to: date,
           now: datetime) -> Timesheet:
    one_day = timedelta(days=1)
    occurrences = _occurrences(assignments, date_from - one_day, date_to + one_day)
    by_day: dict[date, list[AttendanceRecord]] = defaultdict(list)
    for record in records:
        by_day[_record_day(record, occurrences)].append(record)
    sheet = Timesheet(employee=employee, date_from=date_from, date_to=date_to)
    day = date_from
    while day <= date_to:
        sheet.days.append(_day(day, occurrences.get(day), by_day.get(day, []), now))
        day += one_day
    sheet.totals = _totals(sheet.days)
    return sheet


def timesheets_for_period(*, date_from: date, date_to: date,
                          employees: Iterable[Employee] | QuerySet[Employee] | None = None,
                          now: datetime | None = None) -> list[Timesheet]:
    """Timesheets of ``employees`` (default: every employee) for the local dates
    [date_from, date_to], in three queries whatever the number of employees."""
    now = now or timezone.now()
    employees = list(Employee.objects.all() if employees is None else employees)
    ids = [e.pk for e in employees]
    window_start = datetime.combine(date_from, time.min, tzinfo=UTC) - _FETCH_MARGIN
    window_end = datetime.combine(date_to, time.min, tzinfo=UTC) + _FETCH_MARGIN + _FETCH_MARGIN
    assignments: dict[int, list[ShiftAssignment]] = defaultdict(list)
    for assignment in (ShiftAssignment.objects.select_related("shift", "site")
                       .filter(employee_id__in=ids, valid_from__lte=date_to + timedelta(days=1))
                       .filter(Q(valid_to__isnull=True)
                               | Q(valid_to__gte=date_from - timedelta(days=1)))):
        assignments[assignment.employee_id].append(assignment)
    records: dict[int, list[AttendanceRecord]] = defaultdict(list)
    for record in (AttendanceRecord.objects.select_related("site")
                   .filter(employee_id__in=ids, check_in_at__gte=window_start,
                           check_in_at__lt=window_end)
                   .order_by("check_in_at")):
        records[record.employee_id].append(record)
    return [_build(e, assignments[e.pk], records[e.pk], date_from, date_to, now)
            for e in employees]


def timesheet_for_employee(*, employee: Employee, date_from: date, date_to: date,
                           now: datetime | None = None) -> Timesheet:
    return timesheets_for_period(date_from=date_from, date_to=date_to, employees=[employee],
                                 now=now)[0]


# --- pages -------------------------------------------------------------------------------------


def records_open() -> QuerySet[AttendanceRecord]:
    """Who is checked in now: the open records, earliest check-in first."""
    return attendance_record_list().filter(check_out_at__isnull=True).order_by("check_in_at")


def employee_of_user(user) -> Employee | None:
    return Employee.objects.select_related("default_site").filter(user=user).first()


def positions_visible(record: AttendanceRecord, *, user, is_admin: bool) -> bool:
    """Whether ``user`` may see where the record's check-in and check-out were made: admins see
    everyone's, others only their own (a colleague's coordinates are personal data)."""
    return is_admin or (user is not None and record.employee.user_id == user.pk)


def worked_minutes_per_day(*, first: date, last: date, zone: ZoneInfo
                           ) -> list[tuple[date, int]]:
    """Minutes worked in closed records, per local date of check-in in ``zone``."""
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    minutes: dict[date, int] = defaultdict(int)
    for check_in, check_out in (AttendanceRecord.objects
                                .filter(check_in_at__gte=start, check_in_at__lt=end,
                                        check_out_at__isnull=False)
                                .values_list("check_in_at", "check_out_at")):
        minutes[check_in.astimezone(zone).date()] += int(
            (check_out - check_in).total_seconds() // 60)
    days = (last - first).days + 1
    return [(first + timedelta(days=i), minutes.get(first + timedelta(days=i), 0))
            for i in range(days)]
