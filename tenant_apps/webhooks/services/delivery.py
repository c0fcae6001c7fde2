"""Sending deliveries: one attempt per call, the retry schedule, disabling, replay, purge.

At least once: a delivery is marked succeeded only after a 2xx was received, so a worker killed
between sending and recording sends it again later, with the same ``webhook-id`` (receivers
de-duplicate on it; see docs/webhooks.md).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from standardwebhooks.webhooks import Webhook

from shared_apps.accounts.models import User
from tenant_apps.webhooks import clock, transport
from tenant_apps.webhooks.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Endpoint,
    Event,
)
from tenant_apps.webhooks.queue import deliveries_enqueue_on_commit, delivery_send
from tenant_apps.webhooks.services.endpoints import endpoint_disable, signing_secrets
from tenant_apps.webhooks.ssrf import UnsafeTarget, target_vet

logger = logging.getLogger(__name__)

# Standard Webhooks' recommended schedule: the wait before retry 1, 2, ... (then give up).
RETRY_SCHEDULE = (dt.timedelta(seconds=5), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
                  dt.timedelta(hours=2), dt.timedelta(hours=5), dt.timedelta(hours=10),
                  dt.timedelta(hours=14), dt.timedelta(hours=20), dt.timedelta(hours=24))
JITTER = 0.1  # +-10 %, so that a receiver's outage is not followed by a thundering herd
MAX_RETRY_AFTER = dt.timedelta(hours=24)
USER_AGENT = "saas-platform-webhooks/1"


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.WEBHOOK_DELIVERY_LEASE_SECONDS)


def retry_delay(attempt: int, retry_after: str | None = None) -> dt.timedelta | None:
    """The wait after failed attempt number ``attempt`` (1-based), or None: give up."""
    if attempt > len(RETRY_SCHEDULE):
        return None
    base = RETRY_SCHEDULE[attempt - 1]
    delay = base * random.uniform(1 - JITTER, 1 + JITTER)
    asked = _retry_after(retry_after)
    if asked is not None:
        delay = max(delay, min(asked, MAX_RETRY_AFTER))
    return delay


def _retry_after(value: str | None) -> dt.timedelta | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return dt.timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(dt.timedelta(0), when - clock.now())


def signed_headers(*, event: Event, endpoint: Endpoint, timestamp: int) -> dict[str, str]:
    """The Standard Webhooks headers: one ``v1,`` signature per active secret."""
    when = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    signatures = " ".join(Webhook(secret).sign(event.msg_id, when, event.body)
                          for secret in signing_secrets(endpoint))
    return {"webhook-id": event.msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signatures, "content-type": "application/json",
            "user-agent": USER_AGENT}


def _claim(delivery_id: int) -> bool:
    """Take the lease of a due, pending delivery; False when it is not due, done, or another
    worker holds it."""
    now = clock.now()
    return bool(Delivery.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=delivery_id,
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now + dt.timedelta(seconds=1),
    ).update(lease_until=now + _lease()))


@dataclass(frozen=True)
class AttemptResult:
    outcome: str  # "skipped", "succeeded", "retry", "failed"
    status: int | None = None
    retry_in: dt.timedelta | None = None


def delivery_attempt(*, delivery_id: int) -> AttemptResult:
    """Make one attempt of a delivery, record it and decide what comes next."""
    if not _claim(delivery_id):
        return AttemptResult("skipped")
    delivery = Delivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    endpoint, event = delivery.endpoint, delivery.event
    number = delivery.attempts + 1
    started = clock.now()
    if not endpoint.enabled and not delivery.is_test:
        _finish(delivery, DeliveryStatus.FAILED, error="The endpoint is disabled.")
        return AttemptResult("failed")
    headers = signed_headers(event=event, endpoint=endpoint, timestamp=int(time.time()))
    try:
        target = target_vet(endpoint.url)
    except UnsafeTarget as exc:
        outcome = transport.Outcome(status=None, body="", duration_ms=0, error=str(exc)[:300])
    else:
        outcome = transport.post(target, headers=headers, body=event.body.encode(),
                                 timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    DeliveryAttempt.objects.create(
        delivery=delivery, number=number, started_at=started, duration_ms=outcome.duration_ms,
        request_headers={k: v for k, v in headers.items() if k != "webhook-signature"},
        response_status=outcome.status, response_body=outcome.body, error=outcome.error)
    delivery.attempts = number
    delivery.last_status_code = outcome.status
    if outcome.status is not None and 200 <= outcome.status < 300:
        _finish(delivery, DeliveryStatus.SUCCEEDED)
        return AttemptResult("succeeded", outcome.status)
    error = outcome.error or f"HTTP {outcome.status}"
    if outcome.status == 410:
        _finish(delivery, DeliveryStatus.FAILED, error="410 Gone: the endpoint was disabled.")
        if not delivery.is_test:
            _disable(endpoint, "The receiver answered 410 Gone.")
        return AttemptResult("failed", 410)
    delay = None if delivery.is_test else retry_delay(number, outcome.retry_after)
    if delay is None:
        _finish(delivery, DeliveryStatus.FAILED, error=error)
        if not delivery.is_test and _failing_since(endpoint, delivery.created_at):
            _disable(endpoint, f"Every delivery since {delivery.created_at:%Y-%m-%d %H:%M} UTC "
                               f"failed (last: {error}).")
        return AttemptResult("failed", outcome.status)
    delivery.next_attempt_at = clock.now() + delay
    delivery.lease_until = None
    delivery.last_error = error[:300]
    delivery.save(update_fields=["attempts", "last_status_code", "next_attempt_at",
                                 "lease_until", "last_error"])
    if delay <= dt.timedelta(seconds=settings.WEBHOOK_DIRECT_RETRY_SECONDS):
        delivery_send(delivery.pk, countdown=delay.total_seconds())
    # Longer waits are picked up by the sweeper (deliveries_dispatch_due, every minute): an ETA
    # of hours in the broker would outlive Redis' visibility timeout and be sent twice.
    return AttemptResult("retry", outcome.status, delay)


def _finish(delivery: Delivery, status: str, error: str = "") -> None:
    delivery.status = status
    delivery.finished_at = clock.now()
    delivery.lease_until = None
    delivery.next_attempt_at = None
    delivery.last_error = error[:300]
    delivery.save(update_fields=["status", "finished_at", "lease_until", "next_attempt_at",
                                 "last_error", "attempts", "last_status_code"])


def _failing_since(endpoint: Endpoint, since: dt.datetime) -> bool:
    """No delivery to the endpoint succeeded since ``since`` (persistent failure, not a blip)."""
    return not Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.SUCCEEDED,
                                       finished_at__gte=since).exists()


def _disable(endpoint: Endpoint, reason: str) -> None:
    if not endpoint_disable(endpoint_id=endpoint.pk, reason=reason):
        return
    admins = list(User.objects.filter(is_active=True, role__in=("admin", "owner"))
                  .values_list("email", flat=True))
    if admins:
        transaction.on_commit(lambda: send_mail(
            subject="A webhook endpoint was disabled",
            message=(f"The webhook endpoint {endpoint.url} was disabled: {reason}\n\n"
                     "Fix the receiver, then enable the endpoint again on the Webhooks page; "
                     "deliveries that failed meanwhile can be replayed from its log."),
            from_email=None, recipient_list=admins, fail_silently=True))
    logger.warning("Webhook endpoint %s disabled: %s", endpoint.pk, reason)


def deliveries_pending() -> bool:
    """Whether any delivery is still to be attempted (now or at a later retry)."""
    return Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()


def deliveries_dispatch_due(*, limit: int = 1000) -> int:
    """Queue the deliveries whose next attempt is due, that no worker holds and that no other
    dispatch queued in the last lease period: new events (woken by the outbox listener),
    retries after long waits, and deliveries whose worker died mid-attempt (their lease
    lapsed). Marking and selecting is one statement, so concurrent dispatches split the work."""
    now = clock.now()
    q = connection.ops.quote_name
    table = q(Delivery._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET dispatched_until = %s WHERE id IN ("  # noqa: S608 (quoted)
            f"  SELECT id FROM {table} WHERE status = 'pending' AND next_attempt_at <= %s"
            "   AND (lease_until IS NULL OR lease_until < %s)"
            "   AND (dispatched_until IS NULL OR dispatched_until < %s)"
            "  ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id",
            [now + _lease(), now, now, now, limit])
        due = [row[0] for row in cursor.fetchall()]
    # Run by a worker: published right here, no hand-over to a sender thread.
    for delivery_id in due:
        delivery_send(delivery_id)
    return len(due)


@transaction.atomic
def delivery_replay(*, delivery: Delivery) -> Delivery:
    """Send the delivery's event again, as a new delivery with the same ``webhook-id``."""
    now = clock.now()
    replay = Delivery.objects.create(event_id=delivery.event_id,
                                     endpoint_id=delivery.endpoint_id, is_test=delivery.is_test,
                                     next_attempt_at=now, created_at=now)
    deliveries_enqueue_on_commit([replay.pk])
    return replay


def delivery_log_purge() -> dict[str, int]:
    """Delete finished deliveries (and their attempts) older than WEBHOOK_LOG_RETENTION_DAYS,
    then the events no delivery refers to any more."""
    cutoff = clock.now() - dt.timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)
    deliveries, _ = (Delivery.objects.filter(created_at__lt=cutoff)
                     .exclude(status=DeliveryStatus.PENDING).delete())
    events, _ = Event.objects.filter(created_at__lt=cutoff, deliveries__isnull=True).delete()
    return {"deliveries": deliveries, "events": events}


def event_payload(event: Event) -> dict:
    return json.loads(event.body)
