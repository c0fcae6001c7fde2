"""Writes of the attendance app, one module per part: ``workplace`` (sites, employees, shifts,
assignments), ``presence`` (check-in and check-out) and ``corrections``."""

from tenant_apps.attendance.services.corrections import attendance_record_correct
from tenant_apps.attendance.services.presence import (
    MAX_ACCURACY_M,
    Position,
    attendance_check_in,
    attendance_check_out,
)
from tenant_apps.attendance.services.workplace import (
    employee_create,
    employee_delete,
    employee_update,
    shift_assignment_create,
    shift_assignment_delete,
    shift_assignment_update,
    shift_create,
    shift_delete,
    shift_update,
    site_create,
    site_delete,
    site_update,
)

__all__ = [
    "MAX_ACCURACY_M", "Position", "attendance_check_in", "attendance_check_out",
    "attendance_record_correct", "employee_create", "employee_delete", "employee_update",
    "shift_assignment_create", "shift_assignment_delete", "shift_assignment_update",
    "shift_create", "shift_delete", "shift_update", "site_create", "site_delete", "site_update",
]
