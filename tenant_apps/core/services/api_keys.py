from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tenant_apps.core.errors import InvalidInput, NotFound
from tenant_apps.core.events import event_emit
from tenant_apps.core.models import ApiKey, ApiKeyScope
from tenant_apps.core.services.audit import tenant_audit


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass
class CreatedKey:
    api_key: ApiKey
    raw_key: str  # shown once, never stored


def _key_event(api_key: ApiKey) -> dict:
    return {"id": api_key.pk, "name": api_key.name, "prefix": api_key.prefix,
            "scope": api_key.scope}


@transaction.atomic
def api_key_create(*, name: str, scope: str, created_by,
                   expires_at: datetime | None = None) -> CreatedKey:
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    raw_key = f"sk_{prefix}.{secrets.token_urlsafe(32)}"
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(fields={"expires_at": ["Must be in the future."]})
    api_key = ApiKey.objects.create(name=name, prefix=prefix, key_hash=hash_key(raw_key),
                                    scope=ApiKeyScope(scope), created_by=created_by,
                                    expires_at=expires_at)
    event_emit("api_key.created", _key_event(api_key))
    tenant_audit("api_key.create", target=f"{api_key.name} (sk_{api_key.prefix})",
                 detail={"id": api_key.pk, "scope": api_key.scope,
                         "expires_at": expires_at.isoformat() if expires_at else None})
    return CreatedKey(api_key=api_key, raw_key=raw_key)


@transaction.atomic
def api_key_revoke(*, key_id: int) -> ApiKey:
    api_key = ApiKey.objects.filter(pk=key_id).first()
    if api_key is None:
        raise NotFound("No such API key.")
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        event_emit("api_key.revoked", _key_event(api_key))
        tenant_audit("api_key.revoke", target=f"{api_key.name} (sk_{api_key.prefix})",
                     detail={"id": api_key.pk})
    return api_key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching ``raw_key`` in the current schema, or None."""
    if not raw_key.startswith("sk_") or "." not in raw_key:
        return None
    prefix = raw_key[3:].split(".", 1)[0]
    api_key = (ApiKey.objects.select_related("created_by")
               .filter(prefix=prefix, revoked_at__isnull=True).first())
    if api_key is None or not secrets.compare_digest(api_key.key_hash, hash_key(raw_key)):
        return None
    if not api_key.created_by.is_active:
        return None
    now = timezone.now()
    if api_key.expires_at is not None and api_key.expires_at <= now:
        return None
    # Written at most once a minute per key: a hot key should not turn reads into writes.
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
