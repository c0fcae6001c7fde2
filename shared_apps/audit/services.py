"""Writing the platform audit log, and its retention purge."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from shared_apps.audit.models import Impersonation, PlatformAuditEntry
from tenant_apps.core.actor import SYSTEM, Actor, current_actor
from tenant_apps.core.audit_log import audit_purge


def platform_audit(action: str, *, target: str = "", detail: dict[str, Any] | None = None,
                   actor: Actor | None = None) -> PlatformAuditEntry:
    """One entry for ``action`` on ``target`` by ``actor`` (default: whoever is acting now).
    Call it in the same transaction as the change it records, so that neither exists alone."""
    actor = actor or current_actor()
    return PlatformAuditEntry.objects.create(
        actor=actor.label, actor_id=actor.user_id, action=action, target=target[:200],
        detail=detail or {}, ip=actor.ip)


@transaction.atomic
def platform_audit_purge(*, days: int | None = None) -> int:
    """Remove platform entries older than AUDIT_RETENTION_DAYS, and impersonation records as
    old (their start and end are in the log); logged as ``audit.purge``."""
    days = days or settings.AUDIT_RETENTION_DAYS
    deleted, cutoff = audit_purge(PlatformAuditEntry, days=days)
    Impersonation.objects.filter(created_at__lt=cutoff).delete()
    if deleted:
        platform_audit("audit.purge", detail={"deleted": deleted, "before": cutoff.isoformat(),
                                              "retention_days": days}, actor=SYSTEM)
    return deleted
