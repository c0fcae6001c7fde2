"""The tenant's own settings, kept in its schema: the public registry (``tenants``) is the control
plane's, and a tenant app never writes it. One row, created on first save."""

from django.db import models

from tenant_apps.core.validators import validate_time_zone


class WorkspaceSettings(models.Model):
    # Shown in the tenant's pages instead of the registry's name when set.
    display_name = models.CharField(max_length=200, blank=True, default="")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone],
                                 help_text="IANA time zone, e.g. Europe/Berlin.")
    # Platform operators may "view as" a member of this workspace for support (docs/audit.md);
    # the owner switches it off here, and every such visit is in the audit log.
    support_access = models.BooleanField(default=True)
    # Set by an owner: members without an authenticator app are sent to enrolment.
    require_two_factor = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "workspace settings"

    def __str__(self) -> str:
        return self.display_name or "workspace settings"
