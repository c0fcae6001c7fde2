"""Endpoints: create, change, delete, rotate the secret, send a test event."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction

from tenant_apps.core.errors import InvalidInput
from tenant_apps.core.services.model_writes import model_delete, model_save, model_update
from tenant_apps.webhooks import clock
from tenant_apps.webhooks.catalogue import SUBSCRIBABLE, TEST_EVENT
from tenant_apps.webhooks.models import Delivery, DeliveryStatus, Endpoint, Event
from tenant_apps.webhooks.queue import deliveries_enqueue_on_commit
from tenant_apps.webhooks.services.outbox import new_msg_id, payload_body
from tenant_apps.webhooks.ssrf import UnsafeTarget, url_check

ENDPOINT_FIELDS = ("url", "description", "events", "enabled")
# The old secret keeps signing next to the new one for this long after a rotation.
ROTATION_OVERLAP = dt.timedelta(hours=24)


def secret_generate() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def url_validate(url: str) -> str:
    try:
        url_check(url)
    except UnsafeTarget as exc:
        raise InvalidInput(fields={"url": [str(exc)]}) from None
    return url


def events_validate(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(SUBSCRIBABLE))
    if unknown:
        raise InvalidInput(fields={"events": [f"Unknown event type: {', '.join(unknown)}."]})
    if not events:
        raise InvalidInput(fields={"events": ["Subscribe to at least one event type."]})
    return sorted(set(events))


def endpoint_create(*, url: str, events: list[str], description: str = "",
                    enabled: bool = True) -> Endpoint:
    return model_save(Endpoint(url=url_validate(url), events=events_validate(events),
                               description=description, enabled=enabled,
                               secret=secret_generate()))


def endpoint_update(*, endpoint: Endpoint, data: dict[str, Any]) -> Endpoint:
    data = dict(data)
    if "url" in data:
        url_validate(data["url"])
    if "events" in data:
        data["events"] = events_validate(data["events"])
    endpoint, _ = model_update(instance=endpoint, fields=ENDPOINT_FIELDS, data=data)
    if data.get("enabled") and endpoint.disabled_at is not None:
        # Enabled again by a person: forget why it was switched off.
        Endpoint.objects.filter(pk=endpoint.pk).update(disabled_at=None, disabled_reason="")
        endpoint.disabled_at, endpoint.disabled_reason = None, ""
    return endpoint


def endpoint_delete(*, endpoint: Endpoint) -> None:
    model_delete(endpoint, in_use_code="endpoint_in_use", in_use_message="")


def endpoint_rotate_secret(*, endpoint: Endpoint) -> Endpoint:
    """A new secret; the old one signs alongside it for ROTATION_OVERLAP, so a receiver can
    switch secrets without losing a delivery."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = clock.now() + ROTATION_OVERLAP
    endpoint.secret = secret_generate()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at",
                                 "updated_at"])
    return endpoint


def endpoint_disable(*, endpoint_id: int, reason: str) -> bool:
    """Switch an endpoint off (410 Gone, persistent failure); True when it was on."""
    return bool(Endpoint.objects.filter(pk=endpoint_id, enabled=True).update(
        enabled=False, disabled_reason=reason[:300], disabled_at=clock.now()))


def signing_secrets(endpoint: Endpoint) -> list[str]:
    found = [endpoint.secret]
    if (endpoint.previous_secret and endpoint.previous_secret_expires_at is not None
            and endpoint.previous_secret_expires_at > clock.now()):
        found.append(endpoint.previous_secret)
    return found


@transaction.atomic
def endpoint_send_test(*, endpoint: Endpoint) -> Delivery:
    """A ``webhook.test`` event to this endpoint only (even when it is disabled: checking a
    receiver before switching it on is the point)."""
    now = clock.now()
    event = Event.objects.create(
        msg_id=new_msg_id(), type=TEST_EVENT, created_at=now,
        body=payload_body(TEST_EVENT, now, {
            "endpoint_id": endpoint.pk,
            "message": f"A test event from {getattr(settings, 'BASE_DOMAIN', '')}."}))
    delivery = Delivery.objects.create(event=event, endpoint=endpoint, is_test=True,
                                       status=DeliveryStatus.PENDING, next_attempt_at=now,
                                       created_at=now)
    deliveries_enqueue_on_commit([delivery.pk])
    return delivery
