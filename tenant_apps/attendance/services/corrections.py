"""Corrections of attendance records by admins, each changed field logged with who and why."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tenant_apps.attendance.events import record_event
from tenant_apps.attendance.models import AttendanceCorrection, AttendanceRecord, Employee, Site
from tenant_apps.attendance.services.locks import locked
from tenant_apps.attendance.services.presence import Position, inside_geofence
from tenant_apps.core.errors import Conflict, InvalidInput, NotFound
from tenant_apps.core.events import event_emit

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
    locked(Employee, employee_id, "employee")
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
        site = record.site
        record.check_in_inside_geofence = inside_geofence(site, _position(record, "check_in"))
        record.check_out_inside_geofence = inside_geofence(site, _position(record, "check_out"))
    record.save()
    AttendanceCorrection.objects.bulk_create(log)
    event_emit("attendance.corrected", record_event(
        record, fields=[entry.field for entry in log], reason=reason.strip()[:500]))
    return record


def _position(record: AttendanceRecord, prefix: str) -> Position | None:
    latitude = getattr(record, f"{prefix}_latitude")
    if latitude is None:
        return None
    return Position(latitude=latitude, longitude=getattr(record, f"{prefix}_longitude"),
                    accuracy_m=getattr(record, f"{prefix}_accuracy_m") or Decimal(0))
