"""Writing this workspace's audit log (the current schema's), and its retention purge."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from tenant_apps.core.actor import SYSTEM, Actor, current_actor
from tenant_apps.core.audit_log import audit_purge
from tenant_apps.core.models import TenantAuditEntry


def tenant_audit(action: str, *, target: str = "", detail: dict[str, Any] | None = None,
                 actor: Actor | None = None) -> TenantAuditEntry:
    """One entry for ``action`` (e.g. ``member.role_change``) on ``target``. Call it in the
    same transaction as the change it records."""
    actor = actor or current_actor()
    return TenantAuditEntry.objects.create(
        actor=actor.label, actor_id=actor.user_id, impersonator=actor.impersonator,
        action=action, target=target[:200], detail=detail or {}, ip=actor.ip)


@transaction.atomic
def tenant_audit_purge(*, days: int | None = None) -> int:
    """Remove entries older than the retention (AUDIT_RETENTION_DAYS); the purge is itself
    logged (``audit.purge``) when it removed anything."""
    days = days or settings.AUDIT_RETENTION_DAYS
    deleted, cutoff = audit_purge(TenantAuditEntry, days=days)
    if deleted:
        tenant_audit("audit.purge", detail={"deleted": deleted, "before": cutoff.isoformat(),
                                            "retention_days": days}, actor=SYSTEM)
    return deleted
