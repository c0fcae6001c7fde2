from django.apps import AppConfig

from tenant_apps.core.contract import NavEntry, TenantAppContract


class AttendanceConfig(AppConfig):
    name = "tenant_apps.attendance"
    label = "attendance"
    verbose_name = "Attendance"
    contract = TenantAppContract(
        prefix="attendance",
        api_urls="tenant_apps.attendance.urls",
        web_urls="tenant_apps.attendance.web",
        nav=(NavEntry("Attendance", "attendance:home",
                      description="check in and out, timesheets, sites, shifts and employees"),),
        dashboard="tenant_apps.attendance.web.dashboard",
        demo_seeder="tenant_apps.attendance.demo.seed",
        usage_counters={"employees": "attendance.Employee", "sites": "attendance.Site",
                        "records": "attendance.AttendanceRecord"},
    )
