from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The platform audit log, in ``public``: every operator action (tenant lifecycle, plans,
    domains, impersonation, operator sign-ins). Each tenant's own log is in tenant_apps.core;
    this app also records sign-ins on both sides (signals.py)."""

    name = "shared_apps.audit"
    label = "platform_audit"
    verbose_name = "Platform audit log"

    def ready(self) -> None:
        from shared_apps.audit import signals  # noqa: F401
