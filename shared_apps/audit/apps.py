from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The platform audit log, in ``public``: every operator action (tenant lifecycle, plans,
    domains, impersonation, operator sign-ins). Each tenant's own log is in tenant_apps.core."""

    name = "shared_apps.audit"
    label = "platform_audit"
    verbose_name = "Platform audit log"
