"""The attendance pages of the tenant web app, mounted at /attendance/ by the app's contract.
Views are thin: forms parse, services write, selectors read (the same ones as the API). Roles as
in the API: viewers read; members check themselves in and out; admins manage sites, employees,
shifts and assignments, correct records and export. Positions: admins see everyone's, others
only their own."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone

from tenant_apps.attendance import selectors, services, tables
from tenant_apps.attendance.exports import EXPORT_KIND
from tenant_apps.attendance.forms import (
    WEEKDAYS,
    AssignmentForm,
    CorrectionForm,
    EmployeeForm,
    ExportForm,
    PresenceForm,
    ShiftForm,
    SiteForm,
    TimesheetForm,
)
from tenant_apps.attendance.models import Source
from tenant_apps.attendance.tasks import export_timesheets
from tenant_apps.core.charts import bar_chart
from tenant_apps.core.crud import Column, Resource
from tenant_apps.core.errors import PlatformError
from tenant_apps.core.pages import can, page, paginate, show_errors
from tenant_apps.core.roles import Role
from tenant_apps.core.services.jobs import job_start

TABS = [("Check in", "attendance:home"), ("Who is in", "attendance:present"),
        ("Records", "attendance:records"), ("Timesheets", "attendance:timesheets"),
        ("Employees", "attendance:employees-list"), ("Sites", "attendance:sites-list"),
        ("Shifts", "attendance:shifts-list"),
        ("Assignments", "attendance:assignments-list")]
_DAY_NAMES = dict(WEEKDAYS)


def _mark_positions(request: HttpRequest, records) -> list:
    is_admin = can(request, Role.ADMIN)
    rows = list(records)
    for record in rows:
        record.show_position = selectors.positions_visible(record, user=request.user,
                                                           is_admin=is_admin)
    return rows


# -- me: check in and out ---------------------------------------------------------------------
@page()
def home(request: HttpRequest) -> HttpResponse:
    employee = selectors.employee_of_user(request.user)
    form = PresenceForm(request.POST or None)
    if request.method == "POST":
        if not can(request, Role.MEMBER):
            return HttpResponse("Viewers cannot check in.", status=403)
        action = request.POST.get("action")
        if employee is None:
            form.add_error(None, "Your account is not linked to an employee; ask an admin.")
        elif form.is_valid():
            try:
                if action == "check-in":
                    services.attendance_check_in(employee_id=employee.pk, source=Source.WEB,
                                                 position=form.position(),
                                                 by_user=request.user)
                    messages.success(request, "Checked in.")
                else:
                    services.attendance_check_out(employee_id=employee.pk, source=Source.WEB,
                                                  position=form.position(),
                                                  by_user=request.user)
                    messages.success(request, "Checked out.")
            except PlatformError as exc:
                if exc.fields.get("position"):
                    form.add_error(None, "Your browser sent no position, so the site's "
                                         "geofence cannot be checked: allow location access "
                                         "and try again.")
                else:
                    show_errors(form, exc)
            else:
                return redirect("attendance:home")
    records = selectors.attendance_record_list().filter(employee=employee) if employee else []
    page_obj = paginate(request, records, 10)
    page_obj.object_list = _mark_positions(request, page_obj.object_list)
    open_record = next((r for r in page_obj.object_list if r.check_out_at is None), None) \
        if page_obj.number == 1 else None
    return render(request, "attendance/home.html", {
        "employee": employee, "form": form, "page_obj": page_obj, "open_record": open_record,
        "columns": tables.RECORD_COLUMNS,
        "tabs": TABS, "can_check": can(request, Role.MEMBER)},
        status=400 if form.errors else 200)


@page()
def present(request: HttpRequest) -> HttpResponse:
    rows = _mark_positions(request, selectors.records_open()[:200])
    return render(request, "attendance/present.html", {
        "records": rows, "columns": tables.RECORD_COLUMNS, "tabs": TABS})


# -- records and corrections ------------------------------------------------------------------
@page()
def records(request: HttpRequest) -> HttpResponse:
    rows = selectors.attendance_record_list().order_by("-check_in_at", "-id")
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(Q(employee__code__icontains=q) | Q(employee__name__icontains=q)
                           | Q(site__name__icontains=q))
    state = request.GET.get("state", "")
    if state == "open":
        rows = rows.filter(check_out_at__isnull=True)
    page_obj = paginate(request, rows)
    page_obj.object_list = _mark_positions(request, page_obj.object_list)
    context = {"page_obj": page_obj, "q": q, "state": state, "tabs": TABS,
               "columns": tables.RECORD_COLUMNS}
    if request.htmx:
        return render(request, "attendance/_record_rows.html", context)
    return render(request, "attendance/records.html", context)


@page()
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(selectors.attendance_record_list(), pk=pk)
    # Times are typed and shown in the site's zone, the form's fields included.
    with timezone.override(ZoneInfo(record.site.time_zone)):
        return _record_detail(request, record)


def _record_detail(request: HttpRequest, record) -> HttpResponse:
    is_admin = can(request, Role.ADMIN)
    form = None
    if is_admin:
        form = CorrectionForm(request.POST or None, initial={
            "site": record.site, "check_in_at": record.check_in_at,
            "check_out_at": record.check_out_at})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            changes = {name: data[name] for name in ("site", "check_in_at", "check_out_at")
                       if name in form.changed_data}
            try:
                services.attendance_record_correct(record_id=record.pk, changes=changes,
                                                   reason=data["reason"],
                                                   changed_by=request.user)
            except PlatformError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, "Record corrected; the change is in its history.")
                return redirect("attendance:record", pk=record.pk)
    elif request.method == "POST":
        return HttpResponse("Only admins correct records.", status=403)
    record.show_position = selectors.positions_visible(record, user=request.user,
                                                       is_admin=is_admin)
    history = selectors.attendance_correction_list().filter(record=record)
    return render(request, "attendance/record.html", {
        "record": record, "form": form, "history": history, "tabs": TABS},
        status=400 if form is not None and form.errors else 200)


# -- timesheets -------------------------------------------------------------------------------
@page()
def timesheets(request: HttpRequest) -> HttpResponse:
    own = selectors.employee_of_user(request.user)
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("month", today.strftime("%Y-%m"))
    if "employee" not in data and own is not None:
        data["employee"] = str(own.pk)
    form = TimesheetForm(data if "employee" in data else None)
    sheet = None
    if form.is_bound and form.is_valid():
        first, last = selectors.month_bounds(form.cleaned_data["month"])
        sheet = selectors.timesheet_for_employee(employee=form.cleaned_data["employee"],
                                                 date_from=first, date_to=last)
    export_form = ExportForm(initial={"month": data["month"]}, prefix="export")
    return render(request, "attendance/timesheets.html", {
        "form": form, "sheet": sheet, "export_form": export_form, "tabs": TABS,
        "days": tables.timesheet_rows(sheet) if sheet else [], "columns": tables.DAY_COLUMNS,
        "can_export": can(request, Role.ADMIN)}, status=400 if form.errors else 200)


@page(Role.ADMIN)
def export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST or None, prefix="export")
    if request.method == "POST" and form.is_valid():
        job = job_start(kind=EXPORT_KIND, task=export_timesheets, created_by=request.user,
                        params={"month": form.cleaned_data["month"]})
        return redirect("web-job", pk=job.pk)
    messages.error(request, "Choose a month to export (YYYY-MM).")
    return redirect("attendance:timesheets")


# -- workplace resources ----------------------------------------------------------------------
sites = Resource(
    slug="sites", singular="site", plural="Sites", form=SiteForm,
    selector=selectors.site_list, create=services.site_create, update=services.site_update,
    delete=services.site_delete, entity="site", namespace="attendance", tabs=TABS,
    search=lambda qs, term: qs.filter(name__icontains=term),
    columns=[Column("Name", lambda s: s.name), Column("Time zone", lambda s: s.time_zone),
             Column("Geofence", lambda s: f"{s.radius_m} m", "num"),
             Column("Position", lambda s: f"{s.latitude}, {s.longitude}")])
employees = Resource(
    slug="employees", singular="employee", plural="Employees", form=EmployeeForm,
    selector=selectors.employee_list, create=services.employee_create,
    update=services.employee_update, delete=services.employee_delete, entity="employee",
    namespace="attendance", tabs=TABS,
    search=lambda qs, term: qs.filter(Q(code__icontains=term) | Q(name__icontains=term)),
    columns=[Column("Code", lambda e: e.code), Column("Name", lambda e: e.name),
             Column("Account", lambda e: e.user.email if e.user_id else "—"),
             Column("Default site", lambda e: e.default_site.name if e.default_site_id else "—"),
             Column("Status", lambda e: "active" if e.active else "inactive")])
shifts = Resource(
    slug="shifts", singular="shift", plural="Shifts", form=ShiftForm,
    selector=selectors.shift_list, create=services.shift_create, update=services.shift_update,
    delete=services.shift_delete, entity="shift", namespace="attendance", tabs=TABS,
    columns=[Column("Name", lambda s: s.name),
             Column("Hours", lambda s: f"{s.start_time:%H:%M}-{s.end_time:%H:%M}"
                                       + (" (overnight)" if s.crosses_midnight else "")),
             Column("Days", lambda s: " ".join(_DAY_NAMES[d] for d in s.weekdays)),
             Column("Grace", lambda s: f"{s.grace_minutes} min", "num")])
assignments = Resource(
    slug="assignments", singular="assignment", plural="Shift assignments", form=AssignmentForm,
    selector=selectors.shift_assignment_list, create=services.shift_assignment_create,
    update=services.shift_assignment_update, delete=services.shift_assignment_delete,
    entity="shift_assignment", namespace="attendance", tabs=TABS,
    search=lambda qs, term: qs.filter(Q(employee__code__icontains=term)
                                      | Q(employee__name__icontains=term)),
    columns=[Column("Employee", lambda a: f"{a.employee.code} {a.employee.name}"),
             Column("Shift", lambda a: a.shift.name), Column("Site", lambda a: a.site.name),
             Column("From", lambda a: a.valid_from.isoformat()),
             Column("To", lambda a: a.valid_to.isoformat() if a.valid_to else "open-ended")])


# -- dashboard --------------------------------------------------------------------------------
def dashboard(request: HttpRequest) -> tuple[str, dict]:
    today = timezone.localdate()
    zone = timezone.get_current_timezone()

    def month() -> dict:
        per_day = selectors.worked_minutes_per_day(first=today.replace(day=1), last=today,
                                                   zone=zone)
        total = sum(m for _, m in per_day)
        chart = bar_chart([(d.strftime("%b %d"), round(m / 60, 1)) for d, m in per_day],
                          unit=" h", summary=f"Hours worked per day this month: {total // 60} h "
                                             "in all.")
        return {"chart": chart, "month_minutes": total}

    # The month's hours: once a minute per workspace and zone; who is in now: live.
    figures = cache.get_or_set(f"web:dashboard:attendance:{today}:{zone.key}", month, 60)
    present_now = list(selectors.records_open()[:8])
    return "attendance/_dashboard.html", {
        **figures, "present": present_now, "present_count": selectors.records_open().count()}


urlpatterns = [
    path("", home, name="home"),
    path("present/", present, name="present"),
    path("records/", records, name="records"),
    path("records/<int:pk>/", record_detail, name="record"),
    path("timesheets/", timesheets, name="timesheets"),
    path("export", export, name="export"),
    *sites.urls(),
    *employees.urls(),
    *shifts.urls(),
    *assignments.urls(),
]
