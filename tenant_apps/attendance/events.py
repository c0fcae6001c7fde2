"""The payloads of attendance's integration events (catalogue: tenant_apps/webhooks/
catalogue.py)."""

from __future__ import annotations

from typing import Any

from tenant_apps.attendance.models import AttendanceRecord


def record_event(record: AttendanceRecord, **extra: Any) -> dict[str, Any]:
    return {"id": record.pk,
            "employee": {"id": record.employee_id, "code": record.employee.code},
            "site": {"id": record.site_id, "name": record.site.name},
            "check_in_at": record.check_in_at, "check_out_at": record.check_out_at,
            "source": record.source, **extra}
