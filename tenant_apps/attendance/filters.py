"""Query-string filters of the attendance lists (django-filter)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import django_filters as filters
from django.db.models import DateField, F, Func, Q, QuerySet
from django.db.models.functions import Cast

from tenant_apps.attendance.models import (
    AttendanceCorrection,
    AttendanceRecord,
    Employee,
    ShiftAssignment,
    Site,
    Source,
)
from tenant_apps.core.api.filters import BooleanFilter, IdFilter, StrictFilterSet


class SiteFilter(StrictFilterSet):
    class Meta:
        model = Site
        fields = ["time_zone"]


class EmployeeFilter(StrictFilterSet):
    active = BooleanFilter(field_name="active")
    default_site = IdFilter(field_name="default_site_id")
    user = IdFilter(field_name="user_id")

    class Meta:
        model = Employee
        fields = ["active", "default_site", "user"]


class ShiftAssignmentFilter(StrictFilterSet):
    employee = IdFilter(field_name="employee_id")
    shift = IdFilter(field_name="shift_id")
    site = IdFilter(field_name="site_id")
    active_on = filters.DateFilter(method="filter_active_on",
                                   label="Assignments valid on this date.")

    class Meta:
        model = ShiftAssignment
        fields = ["employee", "shift", "site"]

    def filter_active_on(self, qs: QuerySet, name: str, value: date) -> QuerySet:
        return qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=value), valid_from__lte=value)


def _local_check_in_date() -> Cast:
    # PostgreSQL's timezone(zone, timestamptz) gives the wall-clock time at the record's site.
    return Cast(Func(F("site__time_zone"), F("check_in_at"), function="timezone"),
                output_field=DateField())


class AttendanceRecordFilter(StrictFilterSet):
    employee = IdFilter(field_name="employee_id")
    site = IdFilter(field_name="site_id")
    open = BooleanFilter(method="filter_open", label="Only open (true) or closed (false).")
    source = filters.ChoiceFilter(choices=Source.choices)

    class Meta:
        model = AttendanceRecord
        fields = ["employee", "site", "source"]

    def filter_open(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.filter(check_out_at__isnull=value)

    def filter_local_date(self, qs: QuerySet, name: str, value: date) -> QuerySet:
        # The UTC bound (offsets are within a day) keeps the check_in_at index usable; the
        # exact test is on the local date at the record's site.
        midnight_utc = datetime.combine(value, time.min, tzinfo=UTC)
        qs = qs.alias(local_date=_local_check_in_date())
        if name == "from":
            return qs.filter(check_in_at__gte=midnight_utc - timedelta(days=1),
                             local_date__gte=value)
        return qs.filter(check_in_at__lt=midnight_utc + timedelta(days=2), local_date__lte=value)


# "from" and "to" (local dates of check-in, inclusive) match the timesheet's parameters; they
# are Python keywords, so they are added after the class is built.
for _name, _label in (("from", "Checked in on or after this local date."),
                      ("to", "Checked in on or before this local date.")):
    AttendanceRecordFilter.base_filters[_name] = filters.DateFilter(
        field_name=_name, method="filter_local_date", label=_label)


class AttendanceCorrectionFilter(StrictFilterSet):
    record = IdFilter(field_name="record_id")
    employee = IdFilter(field_name="record__employee_id")

    class Meta:
        model = AttendanceCorrection
        fields = ["record", "field"]
