"""Validation of what callers send, and the shape of what they get back. Write serializers
refuse fields they do not know (a typo must not be silently ignored)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shared_apps.accounts.models import User
from tenant_apps.attendance.models import (
    MAX_GRACE_MINUTES,
    MAX_RADIUS_M,
    AttendanceCorrection,
    AttendanceRecord,
    Employee,
    Shift,
    ShiftAssignment,
    Site,
)
from tenant_apps.attendance.selectors import (
    MAX_PERIOD_DAYS,
    Timesheet,
    TimesheetDay,
    positions_visible,
)
from tenant_apps.attendance.services import MAX_ACCURACY_M, Position
from tenant_apps.core.api.permissions import has_role
from tenant_apps.core.api.serializers import StrictFieldsMixin, refuse_taken
from tenant_apps.core.roles import Role

# --- building blocks ---------------------------------------------------------------------------


class RoundedDecimalField(serializers.DecimalField):
    """A decimal rounded to the stored precision instead of refused for extra digits: phones
    report coordinates with 7-15 decimals. Too many whole digits is still an error."""

    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs) -> None:
        kwargs.setdefault("coerce_to_string", False)
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def validate_precision(self, value: Decimal) -> Decimal:
        if value.adjusted() >= self.max_whole_digits:
            self.fail("max_whole_digits", max_whole_digits=self.max_whole_digits)
        quantum = Decimal(1).scaleb(-self.decimal_places)
        return super().validate_precision(value.quantize(quantum, rounding=ROUND_HALF_EVEN))

    def to_representation(self, value) -> float:
        # A JSON number (as coordinates usually are), not a string.
        return float(super().to_representation(value))


def latitude_field(**kwargs) -> RoundedDecimalField:
    return RoundedDecimalField(max_digits=9, decimal_places=6, min_value=Decimal(-90),
                               max_value=Decimal(90), **kwargs)


def longitude_field(**kwargs) -> RoundedDecimalField:
    return RoundedDecimalField(max_digits=9, decimal_places=6, min_value=Decimal(-180),
                               max_value=Decimal(180), **kwargs)


class AwareDateTimeField(serializers.DateTimeField):
    """An instant: the caller must say which offset its time is in."""

    default_error_messages = {
        "naive": "Include a UTC offset, e.g. 2026-03-02T09:00:00+01:00 or ...Z.",
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


def local_iso(instant: datetime | None, zone: ZoneInfo | None) -> str | None:
    if instant is None or zone is None:
        return None
    return instant.astimezone(zone).isoformat()


# --- sites, employees, shifts, assignments -----------------------------------------------------


class SiteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    latitude = latitude_field()
    longitude = longitude_field()
    radius_m = serializers.IntegerField(min_value=1, max_value=MAX_RADIUS_M)

    class Meta:
        model = Site
        fields = ["id", "name", "latitude", "longitude", "radius_m", "time_zone", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class EmployeeSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True,
                                              required=False)
    user_email = serializers.EmailField(source="user.email", read_only=True, default=None,
                                       allow_null=True)
    default_site_name = serializers.CharField(source="default_site.name", read_only=True,
                                              default=None, allow_null=True)

    class Meta:
        model = Employee
        fields = ["id", "code", "name", "email", "user", "user_email", "default_site",
                  "default_site_name", "active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_code(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("A code is required.")
        return value

    def validate_user(self, user: User | None) -> User | None:
        # UniqueValidator checks this too; a message that says what to do is kinder.
        if user is not None:
            refuse_taken(self, Employee.objects.filter(user=user),
                         "This user is already linked to an employee.")
        return user


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$",
                      "example": "09:00:00"})
class WallClockTimeField(serializers.TimeField):
    """A time of day in the site's zone, "HH:MM[:SS]", with no offset: OpenAPI's "time" format
    (RFC 3339) requires one, so the schema states the pattern instead."""

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.match(r"^\d{2}:\d{2}(:\d{2})?$", value):
            raise serializers.ValidationError("Use HH:MM or HH:MM:SS (local time, no offset).")
        return super().to_internal_value(value)


class ShiftSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    start_time = WallClockTimeField()
    end_time = WallClockTimeField()
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7), min_length=1, max_length=7,
        help_text="ISO weekdays the shift starts on: 1 = Monday ... 7 = Sunday.")
    grace_minutes = serializers.IntegerField(min_value=0, max_value=MAX_GRACE_MINUTES,
                                             required=False)
    crosses_midnight = serializers.BooleanField(read_only=True)

    class Meta:
        model = Shift
        fields = ["id", "name", "start_time", "end_time", "weekdays", "grace_minutes",
                  "crosses_midnight", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_weekdays(self, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each weekday at most once.")
        return sorted(value)

    def validate(self, attrs: dict) -> dict:
        start = attrs.get("start_time", getattr(self.instance, "start_time", None))
        end = attrs.get("end_time", getattr(self.instance, "end_time", None))
        if start is not None and start == end:
            raise serializers.ValidationError(
                {"end_time": ["A shift cannot end when it starts (24-hour shifts are not "
                              "supported)."]})
        return attrs


class ShiftAssignmentSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    employee_code = serializers.CharField(source="employee.code", read_only=True)
    shift_name = serializers.CharField(source="shift.name", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)

    class Meta:
        model = ShiftAssignment
        fields = ["id", "employee", "employee_code", "shift", "shift_name", "site", "site_name",
                  "valid_from", "valid_to", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs: dict) -> dict:
        valid_from = attrs.get("valid_from", getattr(self.instance, "valid_from", None))
        valid_to = attrs.get("valid_to", getattr(self.instance, "valid_to", None))
        if valid_from and valid_to and valid_to < valid_from:
            raise serializers.ValidationError({"valid_to": ["Must not be before valid_from."]})
        return attrs


# --- records -----------------------------------------------------------------------------------


class AttendanceRecordSerializer(serializers.ModelSerializer):
    employee_code = serializers.CharField(source="employee.code", read_only=True)
    employee_name = serializers.CharField(source="employee.name", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    check_in_latitude = latitude_field(read_only=True)
    check_in_longitude = longitude_field(read_only=True)
    check_out_latitude = latitude_field(read_only=True)
    check_out_longitude = longitude_field(read_only=True)
    check_in_accuracy_m = RoundedDecimalField(max_digits=6, decimal_places=1, read_only=True)
    check_out_accuracy_m = RoundedDecimalField(max_digits=6, decimal_places=1, read_only=True)
    checked_in_by = serializers.EmailField(source="checked_in_by.email", read_only=True,
                                           default=None, allow_null=True)
    checked_out_by = serializers.EmailField(source="checked_out_by.email", read_only=True,
                                            default=None, allow_null=True)
    open = serializers.BooleanField(source="is_open", read_only=True)
    worked_minutes = serializers.SerializerMethodField()

    class Meta:
        model = AttendanceRecord
        fields = ["id", "employee", "employee_code", "employee_name", "site", "site_name",
                  "check_in_at", "check_out_at", "open", "worked_minutes",
                  "check_in_latitude", "check_in_longitude", "check_in_accuracy_m",
                  "check_in_inside_geofence", "check_out_latitude", "check_out_longitude",
                  "check_out_accuracy_m", "check_out_inside_geofence", "source",
                  "check_out_source", "checked_in_by", "checked_out_by", "created_at",
                  "updated_at"]
        read_only_fields = fields

    def get_worked_minutes(self, record: AttendanceRecord) -> int | None:
        return record.worked_minutes

    def to_representation(self, record: AttendanceRecord) -> dict:
        data = super().to_representation(record)
        request = self.context.get("request")
        if request is not None and not positions_visible(
                record, user=request.user, is_admin=has_role(request, Role.ADMIN)):
            # Members and viewers see where they themselves checked in, not colleagues.
            for name in POSITION_FIELDS:
                data[name] = None
        return data


POSITION_FIELDS = ("check_in_latitude", "check_in_longitude", "check_in_accuracy_m",
                   "check_out_latitude", "check_out_longitude", "check_out_accuracy_m")


class AttendanceCorrectionSerializer(serializers.ModelSerializer):
    employee = serializers.IntegerField(source="record.employee_id", read_only=True)
    employee_code = serializers.CharField(source="record.employee.code", read_only=True)
    changed_by = serializers.EmailField(source="changed_by.email", read_only=True, default=None,
                                       allow_null=True)

    class Meta:
        model = AttendanceCorrection
        fields = ["id", "record", "employee", "employee_code", "field", "old_value",
                  "new_value", "reason", "changed_by", "changed_at"]
        read_only_fields = fields


class RecordCorrectionInputSerializer(StrictFieldsMixin, serializers.Serializer):
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), required=False)
    check_in_at = AwareDateTimeField(required=False)
    check_out_at = AwareDateTimeField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000, trim_whitespace=True)

    def validate(self, attrs: dict) -> dict:
        if not set(attrs) - {"reason"}:
            raise serializers.ValidationError(
                "Give at least one of site, check_in_at, check_out_at to correct.")
        return attrs


class PositionSerializer(StrictFieldsMixin, serializers.Serializer):
    latitude = latitude_field()
    longitude = longitude_field()
    accuracy_m = RoundedDecimalField(
        max_digits=6, decimal_places=1, min_value=Decimal(0), max_value=MAX_ACCURACY_M,
        help_text=f"Radius of the position's uncertainty in metres, at most {MAX_ACCURACY_M}.",
        error_messages={"max_value": f"An accuracy above {MAX_ACCURACY_M} m is too coarse to "
                                     "tell whether you are at the site."})

    def to_internal_value(self, data) -> Position:
        return Position(**super().to_internal_value(data))


class CheckOutSerializer(StrictFieldsMixin, serializers.Serializer):
    # An id, not a related field: the employee is the resource acted on, so an unknown one is a
    # 404 (from the service), like an unknown id in a URL.
    employee = serializers.IntegerField(
        required=False,
        help_text="Admins only; members act for the employee linked to their account.")
    position = PositionSerializer(required=False, allow_null=True)
    kiosk = serializers.BooleanField(
        default=False, help_text="Recorded at a kiosk (admins only; position optional).")


class CheckInSerializer(CheckOutSerializer):
    site = serializers.IntegerField(required=False,
                                    help_text="Default: the employee's default site.")


# --- timesheets and exports --------------------------------------------------------------------


class TimesheetQuerySerializer(serializers.Serializer):
    employee = serializers.IntegerField()  # an unknown id is a 404, like in a URL

    def get_fields(self) -> dict:
        # "from" is a Python keyword, so these cannot be class attributes.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(help_text="First local date, inclusive.")
        fields["to"] = serializers.DateField(help_text="Last local date, inclusive.")
        return fields

    def validate(self, attrs: dict) -> dict:
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        if (attrs["to"] - attrs["from"]).days >= MAX_PERIOD_DAYS:
            raise serializers.ValidationError(
                {"to": [f"A timesheet covers at most {MAX_PERIOD_DAYS} days."]})
        return attrs


class ExportInputSerializer(StrictFieldsMixin, serializers.Serializer):
    # The pattern is in the OpenAPI schema too, so clients can check before sending.
    month = serializers.RegexField(
        r"^20[0-9]{2}-(0[1-9]|1[0-2])$", max_length=7,
        error_messages={"invalid": "Use the form YYYY-MM with a year 2000-2099, e.g. 2026-03."},
        help_text="YYYY-MM; the local dates of each site.")


class TimesheetDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    status = serializers.ChoiceField(choices=["present", "absent", "upcoming", "off"])
    shift = serializers.SerializerMethodField()
    first_check_in = serializers.SerializerMethodField()
    last_check_out = serializers.SerializerMethodField()
    worked_minutes = serializers.IntegerField()
    worked_hours = serializers.SerializerMethodField()
    late = serializers.BooleanField()
    late_minutes = serializers.IntegerField()
    left_early = serializers.BooleanField()
    early_leave_minutes = serializers.IntegerField()
    absent = serializers.BooleanField()
    open = serializers.BooleanField()
    records = serializers.SerializerMethodField()

    def get_shift(self, day: TimesheetDay) -> dict | None:
        occ = day.occurrence
        if occ is None:
            return None
        return {"id": occ.shift.pk, "name": occ.shift.name, "site": occ.site.pk,
                "site_name": occ.site.name, "time_zone": occ.site.time_zone,
                "start": local_iso(occ.start, occ.zone), "end": local_iso(occ.end, occ.zone),
                "minutes": occ.minutes, "grace_minutes": occ.shift.grace_minutes}

    def get_first_check_in(self, day: TimesheetDay) -> str | None:
        return local_iso(day.first_check_in, day.zone)

    def get_last_check_out(self, day: TimesheetDay) -> str | None:
        return local_iso(day.last_check_out, day.zone)

    def get_worked_hours(self, day: TimesheetDay) -> float:
        return round(day.worked_minutes / 60, 2)

    def get_records(self, day: TimesheetDay) -> list[int]:
        return [r.pk for r in day.records]


class TimesheetTotalsSerializer(serializers.Serializer):
    worked_minutes = serializers.IntegerField()
    worked_hours = serializers.SerializerMethodField()
    scheduled_minutes = serializers.IntegerField()
    days_present = serializers.IntegerField()
    late_arrivals = serializers.IntegerField()
    late_minutes = serializers.IntegerField()
    early_leaves = serializers.IntegerField()
    early_leave_minutes = serializers.IntegerField()
    absences = serializers.IntegerField()

    def get_worked_hours(self, totals) -> float:
        return round(totals.worked_minutes / 60, 2)


class TimesheetSerializer(serializers.Serializer):
    employee = serializers.SerializerMethodField()
    days = TimesheetDaySerializer(many=True)
    totals = TimesheetTotalsSerializer()

    def get_employee(self, sheet: Timesheet) -> dict:
        e = sheet.employee
        return {"id": e.pk, "code": e.code, "name": e.name}

    def to_representation(self, sheet: Timesheet) -> dict:
        data = super().to_representation(sheet)
        return {"employee": data["employee"], "from": sheet.date_from.isoformat(),
                "to": sheet.date_to.isoformat(), "days": data["days"], "totals": data["totals"]}
