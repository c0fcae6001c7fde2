"""Writing this workspace's audit log (the current schema's)."""

from __future__ import annotations

from typing import Any

from tenant_apps.core.actor import Actor, current_actor
from tenant_apps.core.models import TenantAuditEntry


def tenant_audit(action: str, *, target: str = "", detail: dict[str, Any] | None = None,
                 actor: Actor | None = None) -> TenantAuditEntry:
    """One entry for ``action`` (e.g. ``member.role_change``) on ``target``. Call it in the
    same transaction as the change it records."""
    actor = actor or current_actor()
    return TenantAuditEntry.objects.create(
        actor=actor.label, actor_id=actor.user_id, impersonator=actor.impersonator,
        action=action, target=target, detail=detail or {}, ip=actor.ip)
