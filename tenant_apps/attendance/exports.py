"""The monthly timesheet export: a CSV with one row per employee and local day, written to the
job's ``output_text`` (downloadable at /api/v1/jobs/{id}/download)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from tenant_apps.attendance.models import Employee
from tenant_apps.attendance.selectors import TimesheetDay, month_bounds, timesheets_for_period
from tenant_apps.core.csv_cells import csv_safe
from tenant_apps.core.models import Job
from tenant_apps.core.services.jobs import JobFailed, Progress

EXPORT_KIND = "attendance.timesheet_export"
# Timesheets are computed this many employees at a time: three queries per batch, bounded
# memory, and a progress update after each.
BATCH_SIZE = 50
COLUMNS = ["employee_code", "employee_name", "date", "status", "site", "time_zone", "shift",
           "scheduled_start", "scheduled_end", "first_check_in", "last_check_out",
           "worked_hours", "late_minutes", "early_leave_minutes"]


def _local(instant: datetime | None, zone: ZoneInfo | None) -> str:
    if instant is None or zone is None:
        return ""
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _row(employee: Employee, day: TimesheetDay) -> list:
    occ, zone = day.occurrence, day.zone
    site = occ.site if occ else (day.records[0].site if day.records else None)
    return [
        csv_safe(employee.code), csv_safe(employee.name), day.date.isoformat(), day.status,
        csv_safe(site.name) if site else "", zone.key if zone else "",
        csv_safe(occ.shift.name) if occ else "",
        _local(occ.start, zone) if occ else "", _local(occ.end, zone) if occ else "",
        _local(day.first_check_in, zone), _local(day.last_check_out, zone),
        f"{day.worked_minutes / 60:.2f}", day.late_minutes, day.early_leave_minutes,
    ]


def timesheet_export_run(job: Job, progress: Progress) -> dict:
    """The job handler (see tenant_apps.core.services.jobs.job_run)."""
    month = str(job.params.get("month", ""))
    try:
        date_from, date_to = month_bounds(month)
    except ValueError:
        raise JobFailed(f"Invalid month {month!r}; expected YYYY-MM.") from None
    # Active employees, and inactive ones with records around the month (a day either side
    # covers every UTC offset; their timesheet then keeps the month's local days only).
    window = (datetime.combine(date_from, time.min, tzinfo=UTC) - timedelta(days=1),
              datetime.combine(date_to, time.min, tzinfo=UTC) + timedelta(days=2))
    employees = list(
        Employee.objects.filter(Q(active=True) | Q(records__check_in_at__range=window))
        .distinct().order_by("code", "pk"))
    total = len(employees)
    progress(0, total)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    rows = 0
    for start in range(0, total, BATCH_SIZE):
        batch = employees[start:start + BATCH_SIZE]
        for sheet in timesheets_for_period(date_from=date_from, date_to=date_to,
                                           employees=batch):
            for day in sheet.days:
                writer.writerow(_row(sheet.employee, day))
                rows += 1
        progress(start + len(batch), total)
    job.output_text = out.getvalue()
    job.output_name = f"attendance-{month}.csv"
    return {"month": month, "employees": total, "rows": rows}
