"""Writing the platform audit log."""

from __future__ import annotations

from typing import Any

from shared_apps.audit.models import PlatformAuditEntry
from tenant_apps.core.actor import Actor, current_actor


def platform_audit(action: str, *, target: str = "", detail: dict[str, Any] | None = None,
                   actor: Actor | None = None) -> PlatformAuditEntry:
    """One entry for ``action`` on ``target`` by ``actor`` (default: whoever is acting now).
    Call it in the same transaction as the change it records, so that neither exists alone."""
    actor = actor or current_actor()
    return PlatformAuditEntry.objects.create(
        actor=actor.label, actor_id=actor.user_id, action=action, target=target,
        detail=detail or {}, ip=actor.ip)
