"""The attendance pages' data tables (tenant_apps/core/tables.py): records and timesheet days."""

from __future__ import annotations

from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from tenant_apps.core.formats import clock, hours, when
from tenant_apps.core.links import object_url
from tenant_apps.core.tables import Column


def _position(r) -> str:
    """Where a record was checked in, for those allowed to see it (``show_position``, set by
    the view from selectors.positions_visible)."""
    if not r.show_position:
        return mark_safe('<span class="muted">hidden</span>')
    if r.check_in_latitude is None:
        return "kiosk / none"
    badge = (mark_safe('<span class="badge ok">inside</span>') if r.check_in_inside_geofence
             else mark_safe('<span class="badge warn">outside</span>')
             if r.check_in_inside_geofence is False else "")
    return format_html("{}, {} {}", r.check_in_latitude, r.check_in_longitude, badge)


RECORD_COLUMNS = [
    Column("Employee", lambda r: format_html('<a href="{}">{}</a>',
                                             object_url("attendance:record", r.pk),
                                             r.employee.name)),
    Column("Site", lambda r: r.site.name),
    Column("In", lambda r: when(r.check_in_at, r.site.time_zone)),
    Column("Out", lambda r: when(r.check_out_at, r.site.time_zone) if r.check_out_at
           else mark_safe('<span class="badge info">open</span>')),
    Column("Worked", lambda r: hours(r.worked_minutes) if r.check_out_at else "—", "num"),
    Column("Position", _position),
]


def _shift(day) -> str:
    occurrence = day.occurrence
    if not occurrence:
        return "—"
    zone = occurrence.site.time_zone
    return (f"{occurrence.shift.name} {clock(occurrence.start, zone)}\u2013"
            f"{clock(occurrence.end, zone)}")


def _day_out(day) -> str:
    if day.last_check_out:
        return clock(day.last_check_out, day.zone.key)
    return "open" if day.open else "—"


def _day_status(day) -> str:
    if day.absent:
        status = mark_safe('<span class="badge bad">absent</span>')
    elif day.status == "upcoming":
        status = mark_safe('<span class="badge info">upcoming</span>')
    else:
        status = format_html('<span class="badge ok">{}</span>', day.status)
    late = (format_html(' <span class="badge warn">late {} min</span>', day.late_minutes)
            if day.late else "")
    early = (format_html(' <span class="badge warn">left {} min early</span>',
                         day.early_leave_minutes) if day.left_early else "")
    return format_html("{}{}{}", status, late, early)


DAY_COLUMNS = [
    Column("Date", lambda day: date_format(day.date, "D d M")),
    Column("Shift", _shift),
    Column("In", lambda day: clock(day.first_check_in, day.zone.key)
           if day.first_check_in else "—"),
    Column("Out", _day_out),
    Column("Worked", lambda day: hours(day.worked_minutes), "num"),
    Column("Status", _day_status),
]


def timesheet_rows(sheet) -> list:
    """The days a timesheet shows: every day but days off without a record."""
    return [day for day in sheet.days if day.status != "off" or day.records]
