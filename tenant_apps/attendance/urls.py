"""Attendance routes, mounted at /api/v1/attendance/ by the app's contract."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tenant_apps.attendance import api

router = SimpleRouter(trailing_slash=False)
router.register("sites", api.SiteViewSet, basename="attendance-site")
router.register("employees", api.EmployeeViewSet, basename="attendance-employee")
router.register("shifts", api.ShiftViewSet, basename="attendance-shift")
router.register("shift-assignments", api.ShiftAssignmentViewSet,
                basename="attendance-shift-assignment")
router.register("records", api.AttendanceRecordViewSet, basename="attendance-record")
router.register("corrections", api.AttendanceCorrectionViewSet,
                basename="attendance-correction")

urlpatterns = [
    path("check-in", api.CheckInView.as_view(), name="attendance-check-in"),
    path("check-out", api.CheckOutView.as_view(), name="attendance-check-out"),
    path("timesheet", api.TimesheetView.as_view(), name="attendance-timesheet"),
    path("exports", api.ExportView.as_view(), name="attendance-export"),
    path("", include(router.urls)),
]
