"""Sites, employees, shifts and shift assignments: the attendance app's plain resources, written
through the core's ``model_save`` / ``model_update`` / ``model_delete``. Shifts and assignments
also keep one rule: an employee works at most one shift on any day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from tenant_apps.attendance.models import Employee, Shift, ShiftAssignment, Site
from tenant_apps.attendance.services.locks import locked
from tenant_apps.core.errors import Conflict, InvalidInput
from tenant_apps.core.limits import quota_check, storage_check
from tenant_apps.core.services.model_writes import model_delete, model_save, model_update

SITE_FIELDS = ("name", "latitude", "longitude", "radius_m", "time_zone")
EMPLOYEE_FIELDS = ("code", "name", "email", "user", "default_site", "active")
SHIFT_FIELDS = ("name", "start_time", "end_time", "weekdays", "grace_minutes")
ASSIGNMENT_FIELDS = ("employee", "shift", "site", "valid_from", "valid_to")


# -- sites and employees -----------------------------------------------------------------------
def site_create(*, name: str, latitude: Decimal, longitude: Decimal, radius_m: int,
                time_zone: str) -> Site:
    return model_save(Site(name=name, latitude=latitude, longitude=longitude,
                           radius_m=radius_m, time_zone=time_zone))


def site_update(*, site: Site, data: dict[str, Any]) -> Site:
    return model_update(instance=site, fields=SITE_FIELDS, data=data)[0]


def site_delete(*, site: Site) -> None:
    model_delete(site, in_use_code="site_in_use",
                 in_use_message="This site has attendance records, assignments or employees; "
                                "it cannot be deleted.")


@transaction.atomic  # the quota's lock is held until the row is in
def employee_create(*, code: str, name: str, email: str = "", user=None,
                    default_site: Site | None = None, active: bool = True) -> Employee:
    storage_check()
    quota_check("employees", used=Employee.objects.count)
    return model_save(Employee(code=code, name=name, email=email, user=user,
                               default_site=default_site, active=active))


def employee_update(*, employee: Employee, data: dict[str, Any]) -> Employee:
    return model_update(instance=employee, fields=EMPLOYEE_FIELDS, data=data)[0]


def employee_delete(*, employee: Employee) -> None:
    model_delete(employee, in_use_code="employee_has_records",
                 in_use_message="This employee has attendance records; deactivate the employee "
                                "instead.")


# -- shifts and assignments --------------------------------------------------------------------
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


def shift_create(*, name: str, start_time, end_time, weekdays: list[int],
                 grace_minutes: int = 5) -> Shift:
    return model_save(Shift(name=name, start_time=start_time, end_time=end_time,
                            weekdays=sorted(set(weekdays)), grace_minutes=grace_minutes))


@transaction.atomic
def shift_update(*, shift: Shift, data: dict[str, Any]) -> Shift:
    data = {**data, "weekdays": sorted(set(data["weekdays"]))} if "weekdays" in data else data
    if data.get("start_time", shift.start_time) == data.get("end_time", shift.end_time):
        raise InvalidInput(fields={"end_time": ["A shift cannot end when it starts."]})
    if "weekdays" in data:
        # New weekdays may make this shift collide with an employee's other assignments. The
        # employees are locked (in id order, like everywhere) so no assignment slips in.
        assignments = list(ShiftAssignment.objects.filter(shift=shift).order_by("employee_id"))
        list(Employee.objects.select_for_update()
             .filter(pk__in={a.employee_id for a in assignments}).order_by("pk"))
        own_ids = [a.pk for a in assignments]
        for assignment in assignments:
            other = _overlapping_assignment(
                employee_id=assignment.employee_id, valid_from=assignment.valid_from,
                valid_to=assignment.valid_to, weekdays=data["weekdays"], exclude_ids=own_ids)
            if other is not None:
                raise _overlap_conflict(other)
    return model_update(instance=shift, fields=SHIFT_FIELDS, data=data)[0]


def shift_delete(*, shift: Shift) -> None:
    model_delete(shift, in_use_code="shift_in_use",
                 in_use_message="Employees are assigned to this shift; remove the assignments "
                                "first.")


def _check_assignment(assignment: ShiftAssignment) -> None:
    if assignment.valid_to is not None and assignment.valid_to < assignment.valid_from:
        raise InvalidInput(fields={"valid_to": ["Must not be before valid_from."]})
    # Lock the employee: two overlapping assignments created at once must not both pass.
    locked(Employee, assignment.employee_id, "employee")
    other = _overlapping_assignment(
        employee_id=assignment.employee_id, valid_from=assignment.valid_from,
        valid_to=assignment.valid_to, weekdays=assignment.shift.weekdays,
        exclude_ids=[assignment.pk] if assignment.pk else [])
    if other is not None:
        raise _overlap_conflict(other)


@transaction.atomic
def shift_assignment_create(*, employee: Employee, shift: Shift, site: Site, valid_from: date,
                            valid_to: date | None = None) -> ShiftAssignment:
    assignment = ShiftAssignment(employee=employee, shift=shift, site=site,
                                 valid_from=valid_from, valid_to=valid_to)
    _check_assignment(assignment)
    return model_save(assignment)


@transaction.atomic
def shift_assignment_update(*, shift_assignment: ShiftAssignment,
                            data: dict[str, Any]) -> ShiftAssignment:
    candidate = ShiftAssignment(pk=shift_assignment.pk, **{
        name: data.get(name, getattr(shift_assignment, name)) for name in ASSIGNMENT_FIELDS})
    _check_assignment(candidate)
    return model_update(instance=shift_assignment, fields=ASSIGNMENT_FIELDS, data=data)[0]


def shift_assignment_delete(*, shift_assignment: ShiftAssignment) -> None:
    shift_assignment.delete()
