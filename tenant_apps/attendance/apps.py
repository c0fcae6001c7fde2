from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "tenant_apps.attendance"
    label = "attendance"
    verbose_name = "Attendance"
