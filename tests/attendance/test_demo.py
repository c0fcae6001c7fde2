"""The demo seeder: realistic, idempotent data that makes timesheets worth looking at."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tenant_apps.attendance import demo
from tenant_apps.attendance.models import (
    AttendanceCorrection,
    AttendanceRecord,
    Employee,
    Shift,
    ShiftAssignment,
    Site,
)
from tenant_apps.attendance.selectors import timesheets_for_period


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Site, Employee, Shift, ShiftAssignment,
                                             AttendanceRecord, AttendanceCorrection))


def test_seed_is_idempotent_and_makes_realistic_timesheets(db, in_tenant):
    with in_tenant("acme"):
        demo.seed()
        first = _counts()
        demo.seed()
        assert _counts() == first

        sites, employees, shifts, assignments, records, corrections = first
        assert (sites, employees, shifts, assignments, corrections) == (3, 15, 4, 15, 1)
        assert records > 15 * 10
        assert {s.time_zone for s in Site.objects.all()} >= {"Europe/Berlin", "Asia/Kolkata"}
        # The tenant's owner is linked, so the demo can check in as Anna.
        assert Employee.objects.get(code="E001").user.role == "owner"

        today = timezone.now().date()
        sheets = timesheets_for_period(date_from=today - timedelta(days=demo.DAYS),
                                       date_to=today - timedelta(days=1))
        totals = [sheet.totals for sheet in sheets]
        assert sum(t.late_arrivals for t in totals) > 0
        assert sum(t.absences for t in totals) > 0
        assert sum(t.early_leaves for t in totals) > 0
        assert sum(t.days_present for t in totals) > 15 * 10
        assert all(t.worked_minutes > 0 for t in totals)
