from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tenant_apps.attendance import api

router = SimpleRouter(trailing_slash=False)
router.register("sites", api.SiteViewSet, basename="attendance-site")
router.register("employees", api.EmployeeViewSet, basename="attendance-employee")
router.register("shifts", api.ShiftViewSet, basename="attendance-shift")
router.register("shift-assignments", api.ShiftAssignmentViewSet,
                basename="attendance-shift-assignment")
router.register("attendance-records", api.AttendanceRecordViewSet, basename="attendance-record")
router.register("attendance-corrections", api.AttendanceCorrectionViewSet,
                basename="attendance-correction")

urlpatterns = [
    path("attendance/check-in", api.CheckInView.as_view(), name="attendance-check-in"),
    path("attendance/check-out", api.CheckOutView.as_view(), name="attendance-check-out"),
    path("attendance/timesheet", api.TimesheetView.as_view(), name="attendance-timesheet"),
    path("attendance/exports", api.ExportView.as_view(), name="attendance-export"),
    path("", include(router.urls)),
]
