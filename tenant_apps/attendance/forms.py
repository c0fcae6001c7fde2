"""Forms of the attendance pages: they parse the browser's input; the services decide, and their
errors are put on these forms' fields (tenant_apps.core.pages.show_errors)."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django import forms

from tenant_apps.attendance.models import MAX_RADIUS_M, Employee, Shift, ShiftAssignment, Site
from tenant_apps.attendance.services import MAX_ACCURACY_M, Position
from tenant_apps.core.crud import ServiceModelForm
from tenant_apps.core.forms import ListedModelChoiceField

WEEKDAYS = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun")]


_ServiceChecksUniqueness = ServiceModelForm


def _zones() -> list[tuple[str, str]]:
    return [(z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z or z == "UTC"]


class SiteForm(_ServiceChecksUniqueness):
    time_zone = forms.ChoiceField(label="Time zone", choices=_zones,
                                  help_text="Times at this site show in this zone.")
    radius_m = forms.IntegerField(label="Geofence radius (m)", min_value=1,
                                  max_value=MAX_RADIUS_M,
                                  help_text="Check-ins are accepted within this distance of the "
                                            "position, plus the phone's accuracy.")

    class Meta:
        model = Site
        fields = ["name", "latitude", "longitude", "radius_m", "time_zone"]


class EmployeeForm(_ServiceChecksUniqueness):
    class Meta:
        model = Employee
        fields = ["code", "name", "email", "user", "default_site", "active"]
        labels = {"user": "Sign-in account", "default_site": "Default site"}
        help_texts = {"user": "The account that checks this employee in and out."}


class ShiftForm(_ServiceChecksUniqueness):
    weekdays = forms.TypedMultipleChoiceField(label="Weekdays", choices=WEEKDAYS, coerce=int,
                                              widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Shift
        fields = ["name", "start_time", "end_time", "weekdays", "grace_minutes"]
        widgets = {"start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
        help_texts = {"end_time": "Wall-clock time at the site; before the start = overnight.",
                      "grace_minutes": "Late or early by more than this counts."}

    def clean(self):
        data = super().clean()
        if data.get("start_time") and data.get("start_time") == data.get("end_time"):
            self.add_error("end_time", "A shift cannot end when it starts.")
        return data


class AssignmentForm(_ServiceChecksUniqueness):
    class Meta:
        model = ShiftAssignment
        fields = ["employee", "shift", "site", "valid_from", "valid_to"]
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"}),
                   "valid_to": forms.DateInput(attrs={"type": "date"})}

    def clean(self):
        data = super().clean()
        if data.get("valid_to") and data.get("valid_from") and data["valid_to"] < data[
                "valid_from"]:
            self.add_error("valid_to", "Must not be before the first day.")
        return data


class PresenceForm(forms.Form):
    """Check-in or check-out: the position the browser found (hidden fields filled by app.js)."""

    latitude = forms.DecimalField(required=False, min_value=-90, max_value=90,
                                  widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, min_value=-180, max_value=180,
                                   widget=forms.HiddenInput)
    accuracy_m = forms.DecimalField(required=False, min_value=0, max_value=MAX_ACCURACY_M,
                                    widget=forms.HiddenInput)

    def position(self) -> Position | None:
        data = self.cleaned_data
        if data.get("latitude") is None or data.get("longitude") is None:
            return None
        return Position(latitude=round(data["latitude"], 6),
                        longitude=round(data["longitude"], 6),
                        accuracy_m=round(data.get("accuracy_m") or Decimal(0), 1))


class CorrectionForm(forms.Form):
    site = ListedModelChoiceField(label="Site", queryset=Site.objects.all())
    check_in_at = forms.DateTimeField(label="Checked in", widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    check_out_at = forms.DateTimeField(label="Checked out", required=False,
                                       widget=forms.DateTimeInput(
                                           attrs={"type": "datetime-local"},
                                           format="%Y-%m-%dT%H:%M"))
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Kept with the change in the record's history.")


class TimesheetForm(forms.Form):
    employee = ListedModelChoiceField(label="Employee", queryset=Employee.objects.all())
    month = forms.RegexField(label="Month", regex=r"^20[0-9]{2}-(0[1-9]|1[0-2])$",
                             widget=forms.TextInput(attrs={"type": "month"}),
                             error_messages={"invalid": "Use YYYY-MM, e.g. 2026-03."})


class ExportForm(forms.Form):
    month = forms.RegexField(label="Month to export", regex=r"^20[0-9]{2}-(0[1-9]|1[0-2])$",
                             widget=forms.TextInput(attrs={"type": "month"}),
                             error_messages={"invalid": "Use YYYY-MM, e.g. 2026-03."})
