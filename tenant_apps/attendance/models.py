"""Attendance: sites with a geofence, employees, shifts and who works which shift where, the
check-in/check-out records, and the log of admin corrections to them.

Times are stored in UTC. Shift times are wall-clock times in the time zone of the site they are
worked at; timesheets turn them into instants with zoneinfo (see selectors.py), so a shift
across a daylight-saving change lasts its real length.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from tenant_apps.attendance.validators import validate_time_zone

MAX_RADIUS_M = 100_000
MAX_GRACE_MINUTES = 240


def _latitude(**kwargs) -> models.DecimalField:
    # Six decimals are ~0.1 m: finer than any phone's GPS.
    return models.DecimalField(max_digits=9, decimal_places=6, validators=[
        MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))], **kwargs)


def _longitude(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=9, decimal_places=6, validators=[
        MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))], **kwargs)


def _accuracy(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=6, decimal_places=1, **kwargs)


class Site(models.Model):
    name = models.CharField(max_length=100, unique=True)
    latitude = _latitude()
    longitude = _longitude()
    radius_m = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RADIUS_M)],
        help_text="Check-ins are accepted within this distance (metres) of the site's position.")
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone],
                                 help_text="IANA time zone, e.g. Europe/Berlin.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(radius_m__gte=1), name="site_radius_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Employee(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True, default="")
    # The account that checks in for itself; an employee without one checks in at a kiosk.
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="employee")
    default_site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="default_employees")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "id"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Shift(models.Model):
    name = models.CharField(max_length=100, unique=True)
    # Wall-clock times at the site; an end at or before the start means the next day.
    start_time = models.TimeField()
    end_time = models.TimeField()
    # ISO weekdays of the shift's *start*: 1 = Monday ... 7 = Sunday.
    weekdays = ArrayField(models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(7)]), size=7)
    grace_minutes = models.PositiveSmallIntegerField(
        default=5, validators=[MaxValueValidator(MAX_GRACE_MINUTES)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # A zero-length shift has no meaning; 24-hour shifts are not supported.
            models.CheckConstraint(condition=~Q(start_time=F("end_time")),
                                   name="shift_start_differs_from_end"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def crosses_midnight(self) -> bool:
        return self.end_time <= self.start_time


class ShiftAssignment(models.Model):
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="assignments")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="assignments")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="assignments")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Inclusive; empty = open-ended.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employee_id", "valid_from", "id"]
        indexes = [models.Index(fields=["employee", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="assignment_valid_range"),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.shift} @ {self.site}"


class Source(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    KIOSK = "kiosk", "Kiosk"


class AttendanceRecord(models.Model):
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="records")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="records")
    check_in_at = models.DateTimeField()
    check_out_at = models.DateTimeField(null=True, blank=True)
    # Positions are missing only for kiosk check-ins, which stand at the site.
    check_in_latitude = _latitude(null=True, blank=True)
    check_in_longitude = _longitude(null=True, blank=True)
    check_in_accuracy_m = _accuracy(null=True, blank=True)
    check_in_inside_geofence = models.BooleanField(null=True, blank=True)
    check_out_latitude = _latitude(null=True, blank=True)
    check_out_longitude = _longitude(null=True, blank=True)
    check_out_accuracy_m = _accuracy(null=True, blank=True)
    # Check-out is never refused for the position (nobody should be stuck checked in); this flag
    # tells whether it was made at the site.
    check_out_inside_geofence = models.BooleanField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    check_out_source = models.CharField(max_length=10, choices=Source.choices, blank=True,
                                        default="")
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    checked_out_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-check_in_at", "-id"]
        indexes = [
            models.Index(fields=["employee", "check_in_at"]),
            models.Index(fields=["site", "check_in_at"]),
            models.Index(fields=["check_in_at"]),
        ]
        constraints = [
            # The database, not only the service, guarantees one open record per employee: two
            # concurrent check-ins cannot both commit.
            models.UniqueConstraint(fields=["employee"], condition=Q(check_out_at__isnull=True),
                                    name="attendance_one_open_record_per_employee"),
            models.CheckConstraint(
                condition=Q(check_out_at__isnull=True) | Q(check_out_at__gt=F("check_in_at")),
                name="attendance_check_out_after_check_in"),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.check_in_at:%Y-%m-%d %H:%M}Z"

    @property
    def is_open(self) -> bool:
        return self.check_out_at is None

    @property
    def worked_minutes(self) -> int | None:
        if self.check_out_at is None:
            return None
        return int((self.check_out_at - self.check_in_at).total_seconds() // 60)


class AttendanceCorrection(models.Model):
    """One changed field of a record, by an admin, with the reason given. Never edited."""

    record = models.ForeignKey(AttendanceRecord, on_delete=models.CASCADE,
                               related_name="corrections")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    field = models.CharField(max_length=50)
    old_value = models.TextField(blank=True, default="")
    new_value = models.TextField(blank=True, default="")
    reason = models.TextField()

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["record", "changed_at"])]

    def __str__(self) -> str:
        return f"record {self.record_id} {self.field}: {self.old_value} -> {self.new_value}"
