"""Writes of the attendance app. Each function is one transaction; those that decide on the
current state (is the employee checked in? does this assignment overlap another?) first lock the
employee's row, so concurrent requests for one employee take turns instead of both passing the
check. The database constraints (one open record per employee, check-out after check-in) are the
last line of defence and are turned into the same errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from tenant_apps.attendance.geo import haversine_m, within_geofence
from tenant_apps.attendance.models import (
    AttendanceCorrection,
    AttendanceRecord,
    Employee,
    Shift,
    ShiftAssignment,
    Site,
    Source,
)
from tenant_apps.core.errors import Conflict, InvalidInput, NotFound, Unprocessable

# Beyond this, a reading says nothing about where the phone is (cell-tower fixes are ~1-3 km).
MAX_ACCURACY_M = Decimal(1000)
OPEN_RECORD_CONSTRAINT = "attendance_one_open_record_per_employee"


@dataclass(frozen=True)
class Position:
    latitude: Decimal
    longitude: Decimal
    accuracy_m: Decimal


# --- helpers -----------------------------------------------------------------------------------


def _violated_constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


@contextmanager
def _unique_violation_as_invalid() -> Iterator[None]:
    """A unique value taken by a concurrent request between the serializer's check and our
    INSERT: the same 400 the serializer would have given, not a 500."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        cause = exc.__cause__
        if getattr(cause, "sqlstate", None) != "23505":
            raise
        match = re.match(r"Key \((\w+)\)=", getattr(cause.diag, "message_detail", "") or "")
        field = match.group(1).removesuffix("_id") if match else "non_field_errors"
        raise InvalidInput(fields={field: ["This value is already in use."]}) from None


def _apply(instance, changes: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise InvalidInput(fields={name: ["Unknown field."] for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(instance, name, value)


def _locked(model, pk: int, what: str):
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"No such {what}.")
    return obj


def _delete(obj, in_use_code: str, in_use_message: str) -> None:
    try:
        obj.delete()
    except ProtectedError:
        raise Conflict(in_use_message, code=in_use_code) from None


# --- sites -------------------------------------------------------------------------------------

SITE_FIELDS = ("name", "latitude", "longitude", "radius_m", "time_zone")


@transaction.atomic
def site_create(*, name: str, latitude: Decimal, longitude: Decimal, radius_m: int,
                time_zone: str) -> Site:
    site = Site(name=name, latitude=latitude, longitude=longitude, radius_m=radius_m,
                time_zone=time_zone)
    with _unique_violation_as_invalid():
        site.save()
    return site


@transaction.atomic
def site_update(*, site_id: int, changes: dict[str, Any]) -> Site:
    site = _locked(Site, site_id, "site")
    _apply(site, changes, SITE_FIELDS)
    with _unique_violation_as_invalid():
        site.save()
    return site


@transaction.atomic
def site_delete(*, site_id: int) -> None:
    _delete(_locked(Site, site_id, "site"), "site_in_use",
            "This site has attendance records, assignments or employees; it cannot be deleted.")


# --- employees ---------------------------------------------------------------------------------

EMPLOYEE_FIELDS = ("code", "name", "email", "user", "default_site", "active")


@transaction.atomic
def employee_create(*, code: str, name: str, email: str = "", user=None,
                    default_site: Site | None = None, active: bool = True) -> Employee:
    employee = Employee(code=code, name=name, email=email, user=user,
                        default_site=default_site, active=active)
    with _unique_violation_as_invalid():
        employee.save()
    return employee


@transaction.atomic
def employee_update(*, employee_id: int, changes: dict[str, Any]) -> Employee:
    employee = _locked(Employee, employee_id, "employee")
    _apply(employee, changes, EMPLOYEE_FIELDS)
    with _unique_violation_as_invalid():
        employee.save()
    return employee


@transaction.atomic
def employee_delete(*, employee_id: int) -> None:
    _delete(_locked(Employee, employee_id, "employee"), "employee_has_records",
            "This employee has attendance records; deactivate the employee instead.")


# --- shifts ------------------------------------------------------------------------------------

SHIFT_FIELDS = ("name", "start_time", "end_time", "weekdays", "grace_minutes")


def _overlapping_assignment(*, employee_id: int, valid_from: date, valid_to: date | None,
                            weekdays: list[int], exclude_ids: Iterable[int] = ()
                            ) -> ShiftAssignment | None:
    """Another assignment of the employee that schedules a shift on one of ``weekdays`` on a
    date of [valid_from, valid_to]: two shifts would then compete for one day."""
    qs = (ShiftAssignment.objects.filter(employee_id=employee_id)
          .exclude(pk__in=list(exclude_ids))
          .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
          .filter(shift__weekdays__overlap=weekdays)
          .select_related("shift"))
    if valid_to is not None:
        qs = qs.filter(valid_from__lte=valid_to)
    return qs.order_by("valid_from", "id").first()


def _overlap_conflict(other: ShiftAssignment) -> Conflict:
    until = other.valid_to.isoformat() if other.valid_to else "open-ended"
    return Conflict(
        f"The employee already works shift {other.shift.name!r} on some of these weekdays "
        f"from {other.valid_from.isoformat()} to {until} (assignment {other.pk}).",
        code="assignment_overlaps")


@transaction.atomic
def shift_create(*, name: str, start_time, end_time, weekdays: list[int],
                 grace_minutes: int = 5) -> Shift:
    shift = Shift(name=name, start_time=start_time, end_time=end_time,
                  weekdays=sorted(set(weekdays)), grace_minutes=grace_minutes)
    with _unique_violation_as_invalid():
        shift.save()
    return shift


@transaction.atomic
def shift_update(*, shift_id: int, changes: dict[str, Any]) -> Shift:
    shift = _locked(Shift, shift_id, "shift")
    _apply(shift, changes, SHIFT_FIELDS)
    shift.weekdays = sorted(set(shift.weekdays))
    if shift.start_time == shift.end_time:
        raise InvalidInput(fields={"end_time": ["A shift cannot end when it starts."]})
    if "weekdays" in changes:
        # New weekdays may make this shift collide with an employee's other assignments. The
        # employees are locked (in id order, like everywhere) so no assignment slips in.
        assignments = list(ShiftAssignment.objects.filter(shift=shift).order_by("employee_id"))
        list(Employee.objects.select_for_update()
             .filter(pk__in={a.employee_id for a in assignments}).order_by("pk"))
        own_ids = [a.pk for a in assignments]
        for assignment in assignments:
            other = _overlapping_assignment(
                employee_id=assignment.employee_id, valid_from=assignment.valid_from,
                valid_to=assignment.valid_to, weekdays=shift.weekdays, exclude_ids=own_ids)
            if other is not None:
                raise _overlap_conflict(other)
    with _unique_violation_as_invalid():
        shift.save()
    return shift


@transaction.atomic
def shift_delete(*, shift_id: int) -> None:
    _delete(_locked(Shift, shift_id, "shift"), "shift_in_use",
            "Employees are assigned to this shift; remove the assignments first.")


# --- shift assignments -------------------------------------------------------------------------

ASSIGNMENT_FIELDS = ("employee", "shift", "site", "valid_from", "valid_to")


def _save_assignment(assignment: ShiftAssignment) -> ShiftAssignment:
    if assignment.valid_to is not None and assignment.valid_to < assignment.valid_from:
        raise InvalidInput(fields={"valid_to": ["Must not be before valid_from."]})
    # Lock the employee: two overlapping assignments created at once must not both pass.
    _locked(Employee, assignment.employee_id, "employee")
    other = _overlapping_assignment(
        employee_id=assignment.employee_id, valid_from=assignment.valid_from,
        valid_to=assignment.valid_to, weekdays=assignment.shift.weekdays,
        exclude_ids=[assignment.pk] if assignment.pk else [])
    if other is not None:
        raise _overlap_conflict(other)
    assignment.save()
    return assignment


@transaction.atomic
def shift_assignment_create(*, employee: Employee, shift: Shift, site: Site, valid_from: date,
                            valid_to: date | None = None) -> ShiftAssignment:
    return _save_assignment(ShiftAssignment(employee=employee, shift=shift, site=site,
                                            valid_from=valid_from, valid_to=valid_to))


@transaction.atomic
def shift_assignment_update(*, shift_assignment_id: int,
                            changes: dict[str, Any]) -> ShiftAssignment:
    assignment = _locked(ShiftAssignment, shift_assignment_id, "shift assignment")
    _apply(assignment, changes, ASSIGNMENT_FIELDS)
    return _save_assignment(assignment)


@transaction.atomic
def shift_assignment_delete(*, shift_assignment_id: int) -> None:
    _locked(ShiftAssignment, shift_assignment_id, "shift assignment").delete()


# --- check-in / check-out ----------------------------------------------------------------------


def _distance_to(site: Site, position: Position) -> float:
    return haversine_m(site.latitude, site.longitude, position.latitude, position.longitude)


def _inside(site: Site, position: Position | None) -> bool | None:
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
    employee = _locked(Employee, employee_id, "employee")
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
        if _violated_constraint(exc) == OPEN_RECORD_CONSTRAINT:
            raise _already_checked_in() from None
        raise
    return record


@transaction.atomic
def attendance_check_out(*, employee_id: int, source: str, position: Position | None = None,
                         by_user=None, at: datetime | None = None) -> AttendanceRecord:
    """Close the employee's open record. Never refused for the position (an employee who left
    must still be able to check out); ``check_out_inside_geofence`` records where it was."""
    at = at or timezone.now()
    employee = _locked(Employee, employee_id, "employee")
    record = (AttendanceRecord.objects.select_for_update().select_related("site")
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
    record.check_out_inside_geofence = _inside(record.site, position)
    record.save()
    return record


# --- corrections -------------------------------------------------------------------------------

CORRECTABLE_FIELDS = ("site", "check_in_at", "check_out_at")


def _logged(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Site):
        return str(value.pk)
    return str(value)


@transaction.atomic
def attendance_record_correct(*, record_id: int, changes: dict[str, Any], reason: str,
                              changed_by, now: datetime | None = None) -> AttendanceRecord:
    """An admin's correction of a record's times or site; each changed field is logged with
    its old and new value, who changed it and why."""
    now = now or timezone.now()
    if not reason or not reason.strip():
        raise InvalidInput(fields={"reason": ["A reason is required."]})
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise InvalidInput(fields={name: ["Not correctable."] for name in sorted(unknown)})
    employee_id = (AttendanceRecord.objects.filter(pk=record_id)
                   .values_list("employee_id", flat=True).first())
    if employee_id is None:
        raise NotFound("No such attendance record.")
    # Same lock order as check-in/check-out: employee, then record.
    _locked(Employee, employee_id, "employee")
    record = AttendanceRecord.objects.select_for_update().select_related("site").get(
        pk=record_id)

    check_in = changes.get("check_in_at", record.check_in_at)
    check_out = changes.get("check_out_at", record.check_out_at)
    errors: dict[str, list[str]] = {}
    if check_in > now:
        errors["check_in_at"] = ["Must not be in the future."]
    if check_out is not None and check_out > now:
        errors["check_out_at"] = ["Must not be in the future."]
    if check_out is not None and check_out <= check_in:
        errors.setdefault("check_out_at", []).append("Must be after check_in_at.")
    if errors:
        raise InvalidInput(fields=errors)
    overlapping = AttendanceRecord.objects.filter(employee_id=employee_id).exclude(pk=record.pk)
    overlapping = overlapping.filter(Q(check_out_at__isnull=True) | Q(check_out_at__gt=check_in))
    if check_out is not None:
        overlapping = overlapping.filter(check_in_at__lt=check_out)
    other = overlapping.order_by("check_in_at").first()
    if other is not None:
        code = "already_checked_in" if check_out is None and other.is_open else "record_overlaps"
        raise Conflict(f"The corrected times overlap record {other.pk} of this employee.",
                       code=code)

    log = []
    for field in CORRECTABLE_FIELDS:
        if field not in changes:
            continue
        old, new = getattr(record, field), changes[field]
        if old == new:
            continue
        log.append(AttendanceCorrection(record=record, changed_by=changed_by, field=field,
                                        old_value=_logged(old), new_value=_logged(new),
                                        reason=reason.strip()))
        setattr(record, field, new)
    if not log:
        return record
    if "site" in changes:
        # The flags describe the positions against the record's site.
        record.check_in_inside_geofence = _inside(record.site, _position(record, "check_in"))
        record.check_out_inside_geofence = _inside(record.site, _position(record, "check_out"))
    record.save()
    AttendanceCorrection.objects.bulk_create(log)
    return record


def _position(record: AttendanceRecord, prefix: str) -> Position | None:
    latitude = getattr(record, f"{prefix}_latitude")
    if latitude is None:
        return None
    return Position(latitude=latitude, longitude=getattr(record, f"{prefix}_longitude"),
                    accuracy_m=getattr(record, f"{prefix}_accuracy_m") or Decimal(0))
