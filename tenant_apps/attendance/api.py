"""The attendance API (/api/v1/...). Views are thin: serializers validate, services write,
selectors read. Roles: viewers read everything; members check themselves in and out; admins
manage sites, employees, shifts and assignments, act for any employee (kiosk), correct records
and start exports."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenant_apps.attendance import selectors, services
from tenant_apps.attendance.exports import EXPORT_KIND
from tenant_apps.attendance.filters import (
    AttendanceCorrectionFilter,
    AttendanceRecordFilter,
    EmployeeFilter,
    ShiftAssignmentFilter,
    SiteFilter,
)
from tenant_apps.attendance.models import Employee, Source
from tenant_apps.attendance.serializers import (
    AttendanceCorrectionSerializer,
    AttendanceRecordSerializer,
    CheckInSerializer,
    CheckOutSerializer,
    EmployeeSerializer,
    ExportInputSerializer,
    RecordCorrectionInputSerializer,
    ShiftAssignmentSerializer,
    ShiftSerializer,
    SiteSerializer,
    TimesheetQuerySerializer,
    TimesheetSerializer,
)
from tenant_apps.attendance.tasks import export_timesheets
from tenant_apps.core.api.idempotency import idempotent
from tenant_apps.core.api.jobs import JobSerializer, job_accepted
from tenant_apps.core.api.key_authentication import request_api_key
from tenant_apps.core.api.permissions import has_role, role_required
from tenant_apps.core.api.viewsets import ServiceModelViewSet
from tenant_apps.core.errors import Forbidden, InvalidInput
from tenant_apps.core.roles import Role
from tenant_apps.core.services.jobs import job_start

ViewerReadsAdminWrites = role_required(read=Role.VIEWER, write=Role.ADMIN)


class SiteViewSet(ServiceModelViewSet):
    """Places where employees work, each with a geofence and an IANA time zone."""

    list_selector = staticmethod(selectors.site_list)
    entity = "site"
    create_service = staticmethod(services.site_create)
    update_service = staticmethod(services.site_update)
    delete_service = staticmethod(services.site_delete)
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    search_fields = ["name", "time_zone"]
    ordering_fields = ["id", "name", "time_zone", "created_at"]
    ordering = ["name", "id"]


class EmployeeViewSet(ServiceModelViewSet):
    list_selector = staticmethod(selectors.employee_list)
    entity = "employee"
    create_service = staticmethod(services.employee_create)
    update_service = staticmethod(services.employee_update)
    delete_service = staticmethod(services.employee_delete)
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    search_fields = ["code", "name", "email"]
    ordering_fields = ["id", "code", "name", "created_at"]
    ordering = ["code", "id"]


class ShiftViewSet(ServiceModelViewSet):
    list_selector = staticmethod(selectors.shift_list)
    entity = "shift"
    create_service = staticmethod(services.shift_create)
    update_service = staticmethod(services.shift_update)
    delete_service = staticmethod(services.shift_delete)
    serializer_class = ShiftSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name", "start_time", "end_time"]
    ordering = ["name", "id"]


class ShiftAssignmentViewSet(ServiceModelViewSet):
    list_selector = staticmethod(selectors.shift_assignment_list)
    entity = "shift_assignment"
    create_service = staticmethod(services.shift_assignment_create)
    update_service = staticmethod(services.shift_assignment_update)
    delete_service = staticmethod(services.shift_assignment_delete)
    serializer_class = ShiftAssignmentSerializer
    filterset_class = ShiftAssignmentFilter
    search_fields = ["employee__code", "employee__name", "shift__name", "site__name"]
    ordering_fields = ["id", "valid_from", "valid_to", "employee__code"]
    ordering = ["employee__code", "valid_from", "id"]


class AttendanceRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                              viewsets.GenericViewSet):
    """Check-in/check-out records. Created by check-in, closed by check-out, corrected by
    admins with PATCH (every change logged with the reason); never deleted."""

    permission_classes = [ViewerReadsAdminWrites]
    serializer_class = AttendanceRecordSerializer
    filterset_class = AttendanceRecordFilter
    search_fields = ["employee__code", "employee__name", "site__name"]
    ordering_fields = ["id", "check_in_at", "check_out_at", "employee__code"]
    ordering = ["-check_in_at", "-id"]

    def get_queryset(self):
        return selectors.attendance_record_list()

    @extend_schema(request=RecordCorrectionInputSerializer,
                   responses=AttendanceRecordSerializer)
    def partial_update(self, request: Request, pk=None) -> Response:
        record = self.get_object()
        serializer = RecordCorrectionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason")
        record = services.attendance_record_correct(
            record_id=record.pk, changes=changes, reason=reason, changed_by=request.user)
        return Response(AttendanceRecordSerializer(record).data)


class AttendanceCorrectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                  viewsets.GenericViewSet):
    """The correction log: who changed which field of which record, when and why."""

    permission_classes = [ViewerReadsAdminWrites]
    serializer_class = AttendanceCorrectionSerializer
    filterset_class = AttendanceCorrectionFilter
    search_fields = ["reason", "record__employee__code"]
    ordering_fields = ["id", "changed_at"]
    ordering = ["-changed_at", "-id"]

    def get_queryset(self):
        return selectors.attendance_correction_list()


# --- check-in / check-out ----------------------------------------------------------------------


def _source(request: Request, *, kiosk: bool) -> str:
    if kiosk:
        if not has_role(request, Role.ADMIN):
            raise Forbidden("Only admins can record kiosk check-ins.")
        return Source.KIOSK
    return Source.API if request_api_key(request) is not None else Source.WEB


def _acting_for(request: Request, employee_id: int | None) -> int:
    """The employee the caller checks in or out: members only themselves, admins anyone (an
    unknown id is then the service's 404)."""
    own_id = Employee.objects.filter(user=request.user).values_list("pk", flat=True).first()
    if employee_id is None:
        if own_id is None:
            raise InvalidInput(fields={
                "employee": ["Required: your account is not linked to an employee."]})
        return own_id
    if employee_id != own_id and not has_role(request, Role.ADMIN):
        raise Forbidden("Members can only check themselves in and out.")
    return employee_id


class CheckInView(APIView):
    permission_classes = [role_required(read=Role.MEMBER, write=Role.MEMBER)]

    @extend_schema(request=CheckInSerializer, responses={201: AttendanceRecordSerializer},
                   parameters=[OpenApiParameter("Idempotency-Key", location="header",
                                                required=False)])
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = CheckInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record = services.attendance_check_in(
            employee_id=_acting_for(request, data.get("employee")),
            site_id=data.get("site"), position=data.get("position"),
            source=_source(request, kiosk=data["kiosk"]), by_user=request.user)
        return Response(AttendanceRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class CheckOutView(APIView):
    permission_classes = [role_required(read=Role.MEMBER, write=Role.MEMBER)]

    @extend_schema(request=CheckOutSerializer, responses=AttendanceRecordSerializer,
                   parameters=[OpenApiParameter("Idempotency-Key", location="header",
                                                required=False)])
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = CheckOutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record = services.attendance_check_out(
            employee_id=_acting_for(request, data.get("employee")),
            position=data.get("position"), source=_source(request, kiosk=data["kiosk"]),
            by_user=request.user)
        return Response(AttendanceRecordSerializer(record).data)


# --- timesheets and exports --------------------------------------------------------------------


class TimesheetView(APIView):
    permission_classes = [role_required(read=Role.VIEWER)]

    @extend_schema(
        parameters=[OpenApiParameter("employee", int, required=True),
                    OpenApiParameter("from", OpenApiTypes.DATE, required=True,
                                     description="First local date (YYYY-MM-DD)."),
                    OpenApiParameter("to", OpenApiTypes.DATE, required=True,
                                     description="Last local date (YYYY-MM-DD), inclusive.")],
        responses=TimesheetSerializer)
    def get(self, request: Request) -> Response:
        query = TimesheetQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        employee = get_object_or_404(Employee, pk=query.validated_data["employee"])
        sheet = selectors.timesheet_for_employee(
            employee=employee, date_from=query.validated_data["from"],
            date_to=query.validated_data["to"])
        return Response(TimesheetSerializer(sheet).data)


class ExportView(APIView):
    permission_classes = [role_required(read=Role.ADMIN, write=Role.ADMIN)]

    @extend_schema(request=ExportInputSerializer, responses={202: JobSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = ExportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = job_start(kind=EXPORT_KIND, task=export_timesheets, created_by=request.user,
                        params={"month": serializer.validated_data["month"]})
        return job_accepted(job)
