"""Demo data for ``manage.py seed_demo``: three sites (Berlin has daylight saving, Bengaluru
has none, New York is behind UTC), 15 employees on day, early, night and weekend shifts, and the
last 30 days of attendance with some late arrivals, early leaves, absences and one admin
correction.

Runs inside the tenant's schema. Idempotent: sites, shifts, employees and assignments are found
by their names and codes, and an employee who already has records gets no more."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from shared_apps.accounts.models import User
from tenant_apps.attendance.models import (
    AttendanceRecord,
    Employee,
    Shift,
    ShiftAssignment,
    Site,
    Source,
)
from tenant_apps.attendance.services import attendance_record_correct
from tenant_apps.core.roles import Role

DAYS = 30
WEEKDAYS = [1, 2, 3, 4, 5]

SITES = {
    "Berlin HQ": (Decimal("52.520008"), Decimal("13.404954"), 200, "Europe/Berlin"),
    "Bengaluru Office": (Decimal("12.971599"), Decimal("77.594566"), 300, "Asia/Kolkata"),
    "New York Store": (Decimal("40.712776"), Decimal("-74.005974"), 150, "America/New_York"),
}
SHIFTS = {
    "Day": (time(9), time(17), WEEKDAYS, 10),
    "Early": (time(6), time(14), WEEKDAYS, 5),
    "Night": (time(22), time(6), [1, 2, 3, 4], 10),
    "Weekend": (time(10), time(18), [6, 7], 10),
}
# code, name, site, shift
EMPLOYEES = [
    ("E001", "Anna Schmidt", "Berlin HQ", "Day"),
    ("E002", "Jonas Weber", "Berlin HQ", "Day"),
    ("E003", "Lea Fischer", "Berlin HQ", "Early"),
    ("E004", "Paul Wagner", "Berlin HQ", "Night"),
    ("E005", "Mia Becker", "Berlin HQ", "Weekend"),
    ("E006", "Aarav Sharma", "Bengaluru Office", "Day"),
    ("E007", "Diya Patel", "Bengaluru Office", "Day"),
    ("E008", "Rohan Iyer", "Bengaluru Office", "Early"),
    ("E009", "Ananya Rao", "Bengaluru Office", "Night"),
    ("E010", "Vikram Nair", "Bengaluru Office", "Day"),
    ("E011", "Emily Johnson", "New York Store", "Day"),
    ("E012", "Michael Brown", "New York Store", "Early"),
    ("E013", "Sophia Garcia", "New York Store", "Weekend"),
    ("E014", "James Miller", "New York Store", "Night"),
    ("E015", "Olivia Davis", "New York Store", "Day"),
]


@transaction.atomic
def seed() -> None:
    sites = {name: Site.objects.get_or_create(name=name, defaults={
        "latitude": lat, "longitude": lon, "radius_m": radius, "time_zone": tz})[0]
        for name, (lat, lon, radius, tz) in SITES.items()}
    shifts = {name: Shift.objects.get_or_create(name=name, defaults={
        "start_time": start, "end_time": end, "weekdays": weekdays, "grace_minutes": grace})[0]
        for name, (start, end, weekdays, grace) in SHIFTS.items()}
    today = timezone.now().date()
    first_day = today - timedelta(days=DAYS)
    owner = User.objects.filter(role=Role.OWNER, employee__isnull=True).order_by("pk").first()
    for code, name, site_name, shift_name in EMPLOYEES:
        site, shift = sites[site_name], shifts[shift_name]
        employee, created = Employee.objects.get_or_create(code=code, defaults={
            "name": name, "email": f"{code.lower()}@example.com", "default_site": site})
        if created and code == "E001" and owner is not None:
            # The demo owner can check in from the API as Anna.
            employee.user = owner
            employee.save(update_fields=["user"])
        assignment, _ = ShiftAssignment.objects.get_or_create(
            employee=employee, shift=shift, site=site,
            defaults={"valid_from": first_day})
        if not employee.records.exists():
            records = AttendanceRecord.objects.bulk_create(
                _records(employee, assignment, first_day, today - timedelta(days=1)))
            if code == "E002" and len(records) > 2:
                # One admin correction, so the correction log has something to show.
                attendance_record_correct(
                    record_id=records[2].pk, changed_by=owner,
                    changes={"check_out_at": records[2].check_out_at + timedelta(minutes=45)},
                    reason="Stayed for the stock count; confirmed by the team lead.")


def _records(employee: Employee, assignment: ShiftAssignment, first: date, last: date
             ) -> list[AttendanceRecord]:
    shift, site = assignment.shift, assignment.site
    zone = ZoneInfo(site.time_zone)
    # Seeded per employee: the same demo every time.
    rng = random.Random(employee.code)
    source = Source.WEB if employee.user_id else rng.choice([Source.KIOSK, Source.API])
    records = []
    day = first
    while day <= last:
        if day.isoweekday() in shift.weekdays and rng.random() >= 0.06:  # 6 % absent
            start = datetime.combine(day, shift.start_time, tzinfo=zone).astimezone(UTC)
            end_day = day + timedelta(days=1) if shift.crosses_midnight else day
            end = datetime.combine(end_day, shift.end_time, tzinfo=zone).astimezone(UTC)
            roll = rng.random()
            arrive = rng.randint(-12, 3) if roll >= 0.15 else rng.randint(12, 45)
            leave = rng.randint(0, 25) if rng.random() >= 0.1 else -rng.randint(15, 70)
            records.append(AttendanceRecord(
                employee=employee, site=site, source=source,
                check_in_at=start + timedelta(minutes=arrive),
                check_out_at=end + timedelta(minutes=leave),
                check_in_latitude=_jitter(rng, site.latitude),
                check_in_longitude=_jitter(rng, site.longitude),
                check_in_accuracy_m=Decimal(rng.randint(5, 30)),
                check_in_inside_geofence=True,
                check_out_latitude=_jitter(rng, site.latitude),
                check_out_longitude=_jitter(rng, site.longitude),
                check_out_accuracy_m=Decimal(rng.randint(5, 30)),
                check_out_inside_geofence=True, check_out_source=source))
        day += timedelta(days=1)
    return records


def _jitter(rng: random.Random, degrees: Decimal) -> Decimal:
    # ~0.0003 degrees is ~30 m: well inside every demo geofence.
    return (degrees + Decimal(rng.randint(-300, 300)) / Decimal(1_000_000)).quantize(
        Decimal("0.000001"))
