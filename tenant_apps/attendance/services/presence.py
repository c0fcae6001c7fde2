"""Check-in and check-out. Each function is one transaction; those that decide on the
current state (is the employee checked in? does this assignment overlap another?) first lock the
employee's row, so concurrent requests for one employee take turns instead of both passing the
check. The database constraints (one open record per employee, check-out after check-in) are the
last line of defence and are turned into the same errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from tenant_apps.attendance.events import record_event
from tenant_apps.attendance.geo import haversine_m, within_geofence
from tenant_apps.attendance.models import (
    AttendanceRecord,
    Employee,
    Site,
    Source,
)
from tenant_apps.attendance.services.locks import locked, violated_constraint
from tenant_apps.core.errors import Conflict, InvalidInput, Unprocessable
from tenant_apps.core.events import event_emit

# Beyond this, a reading says nothing about where the phone is (cell-tower fixes are ~1-3 km).
MAX_ACCURACY_M = Decimal(1000)
OPEN_RECORD_CONSTRAINT = "attendance_one_open_record_per_employee"


@dataclass(frozen=True)
class Position:
    latitude: Decimal
    longitude: Decimal
    accuracy_m: Decimal


def _distance_to(site: Site, position: Position) -> float:
    return haversine_m(site.latitude, site.longitude, position.latitude, position.longitude)


def inside_geofence(site: Site, position: Position | None) -> bool | None:
    if position is None:
        return None
    return within_geofence(distance_m=_distance_to(site, position), radius_m=site.radius_m,
                           accuracy_m=position.accuracy_m)


def _already_checked_in() -> Conflict:
    return Conflict("This employee is already checked in; check out first.",
                    code="already_checked_in")


@transaction.atomic
def attendance_check_in(*, employee_id: int, source: str, position: Position | None = None,
                        site_id: int | None = None, by_user=None,
                        at: datetime | None = None) -> AttendanceRecord:
    """Open a record for the employee at ``site_id`` (default: the employee's default site).

    A position is required except at a kiosk (which stands at the site); it must be inside the
    site's geofence, allowing for the position's accuracy.
    """
    at = at or timezone.now()
    employee = locked(Employee, employee_id, "employee")
    if not employee.active:
        raise Unprocessable("This employee is inactive.", code="employee_inactive")
    if site_id is not None:
        site = Site.objects.filter(pk=site_id).first()
        if site is None:
            raise InvalidInput(fields={"site": ["No such site."]})
    elif employee.default_site_id is not None:
        site = Site.objects.get(pk=employee.default_site_id)
    else:
        raise InvalidInput(fields={"site": ["Required: the employee has no default site."]})
    if position is None and source != Source.KIOSK:
        raise InvalidInput(fields={"position": ["Required, except at a kiosk."]})
    if AttendanceRecord.objects.filter(employee=employee, check_out_at__isnull=True).exists():
        raise _already_checked_in()
    if position is not None:
        distance = _distance_to(site, position)
        if not within_geofence(distance_m=distance, radius_m=site.radius_m,
                               accuracy_m=position.accuracy_m):
            raise Unprocessable(
                f"The position is {distance:.0f} m from {site.name}; check-in is accepted "
                f"within {site.radius_m} m of the site plus the position's accuracy "
                f"({position.accuracy_m} m).", code="outside_geofence")
    record = AttendanceRecord(employee=employee, site=site, check_in_at=at, source=source,
                              checked_in_by=by_user)
    if position is not None:
        record.check_in_latitude = position.latitude
        record.check_in_longitude = position.longitude
        record.check_in_accuracy_m = position.accuracy_m
        record.check_in_inside_geofence = True  # an outside position was refused above
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        # Only reachable if the row lock was bypassed (e.g. a record written by other code).
        if violated_constraint(exc) == OPEN_RECORD_CONSTRAINT:
            raise _already_checked_in() from None
        raise
    event_emit("attendance.checked_in", record_event(record))
    return record


@transaction.atomic
def attendance_check_out(*, employee_id: int, source: str, position: Position | None = None,
                         by_user=None, at: datetime | None = None) -> AttendanceRecord:
    """Close the employee's open record. Never refused for the position (an employee who left
    must still be able to check out); ``check_out_inside_geofence`` records where it was."""
    at = at or timezone.now()
    employee = locked(Employee, employee_id, "employee")
    record = (AttendanceRecord.objects.select_for_update().select_related("site", "employee")
              .filter(employee=employee, check_out_at__isnull=True).first())
    if record is None:
        raise Conflict("This employee is not checked in.", code="not_checked_in")
    if at <= record.check_in_at:
        raise Unprocessable("The check-out would be before the check-in.",
                            code="check_out_before_check_in")
    record.check_out_at = at
    record.check_out_source = source
    record.checked_out_by = by_user
    if position is not None:
        record.check_out_latitude = position.latitude
        record.check_out_longitude = position.longitude
        record.check_out_accuracy_m = position.accuracy_m
    record.check_out_inside_geofence = inside_geofence(record.site, position)
    record.save()
    event_emit("attendance.checked_out", record_event(record))
    return record


