"""The workspace's own settings (display name, time zone): one row in the tenant's schema."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from tenant_apps.core.errors import Forbidden, InvalidInput
from tenant_apps.core.models import WorkspaceSettings
from tenant_apps.core.roles import Role
from tenant_apps.core.services.audit import tenant_audit
from tenant_apps.core.validators import validate_time_zone


def workspace_settings_get() -> WorkspaceSettings:
    """The settings row, or unsaved defaults when none was ever saved (no write on a read)."""
    return WorkspaceSettings.objects.order_by("pk").first() or WorkspaceSettings()


@transaction.atomic
def workspace_settings_update(*, display_name: str, time_zone: str) -> WorkspaceSettings:
    errors: dict[str, list[str]] = {}
    display_name = display_name.strip()
    if len(display_name) > 200:
        errors["display_name"] = ["At most 200 characters."]
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        errors["time_zone"] = list(exc.messages)
    if errors:
        raise InvalidInput(fields=errors)
    row = workspace_settings_get()
    changes = {name: [getattr(row, name), value] for name, value in
               (("display_name", display_name), ("time_zone", time_zone))
               if getattr(row, name) != value}
    row.display_name, row.time_zone = display_name, time_zone
    row.save()
    if changes:
        tenant_audit("workspace.settings_change", target="workspace", detail=changes)
    return row


@transaction.atomic
def workspace_support_access_set(*, enabled: bool) -> WorkspaceSettings:
    """Allow or refuse platform operators' "view as" of this workspace's members (support).
    Switching it off ends nothing by itself; the impersonation middleware ends any running
    visit at its next request."""
    row = workspace_settings_get()
    if row.support_access != enabled:
        row.support_access = enabled
        row.save()
        tenant_audit("workspace.support_access", target="workspace",
                     detail={"enabled": enabled})
    return row


def workspace_two_factor_set(*, required: bool, changed_by) -> WorkspaceSettings:
    """Require (or stop requiring) two-factor of every member. Owners only: it can lock out
    every member who has not enrolled yet."""
    if not changed_by.has_role(Role.OWNER):
        raise Forbidden("Only an owner can change the two-factor requirement.",
                        code="owner_required")
    row = workspace_settings_get()
    if row.require_two_factor != required or row.pk is None:
        with transaction.atomic():
            row.require_two_factor = required
            row.save()
            tenant_audit("workspace.two_factor_policy", target="workspace",
                         detail={"required": required})
    return row
