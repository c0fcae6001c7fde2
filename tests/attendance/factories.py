"""Factories for attendance rows; they write to whichever tenant schema is active."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from tenant_apps.attendance.models import (
    AttendanceRecord,
    Employee,
    Shift,
    ShiftAssignment,
    Site,
    Source,
)

# Berlin's Brandenburg Gate; positions in tests are offsets from a site's centre.
BERLIN = (Decimal("52.516275"), Decimal("13.377704"))


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Site {n}")
    latitude = BERLIN[0]
    longitude = BERLIN[1]
    radius_m = 100
    time_zone = "Europe/Berlin"


class EmployeeFactory(DjangoModelFactory):
    class Meta:
        model = Employee

    code = factory.Sequence(lambda n: f"E{n:04d}")
    name = factory.Sequence(lambda n: f"Employee {n}")
    default_site = factory.SubFactory(SiteFactory)


class ShiftFactory(DjangoModelFactory):
    class Meta:
        model = Shift

    name = factory.Sequence(lambda n: f"Shift {n}")
    start_time = time(9)
    end_time = time(17)
    weekdays = [1, 2, 3, 4, 5]
    grace_minutes = 5


class ShiftAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = ShiftAssignment

    employee = factory.SubFactory(EmployeeFactory)
    shift = factory.SubFactory(ShiftFactory)
    site = factory.SelfAttribute("employee.default_site")
    valid_from = date(2026, 1, 1)
    valid_to = None


class AttendanceRecordFactory(DjangoModelFactory):
    class Meta:
        model = AttendanceRecord

    employee = factory.SubFactory(EmployeeFactory)
    site = factory.SelfAttribute("employee.default_site")
    check_in_at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    check_out_at = factory.LazyAttribute(lambda r: r.check_in_at + timedelta(hours=8))
    source = Source.WEB
