"""Writing events to the outbox, in the transaction of the change that caused them.

Listens to the core's ``events_emitted`` signal (tenant_apps/core/events.py). One statement
writes the events and a pending delivery per subscribed, enabled endpoint, and writes nothing at
all when no endpoint listens: the cost a movement pays for webhooks is one round trip. The
commit notifies the workers (``pg_notify``, listener.py), which queue the deliveries; a
rolled-back change leaves no event, no notification, and sends nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from tenant_apps.core.services.work_marks import work_mark
from tenant_apps.webhooks import clock
from tenant_apps.webhooks.catalogue import CATALOGUE, MAX_PAYLOAD_BYTES
from tenant_apps.webhooks.listener import CHANNEL, DISPATCH_TASK
from tenant_apps.webhooks.models import Delivery, Endpoint, Event


def new_msg_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def payload_body(event_type: str, timestamp, data: dict[str, Any]) -> str:
    body = json.dumps({"type": event_type, "timestamp": timestamp.isoformat(), "data": data},
                      cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)
    if len(body.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"A {event_type} payload is {len(body)} bytes; events are thin "
                         f"(< {MAX_PAYLOAD_BYTES} bytes).")
    return body


def _sql() -> str:
    q = connection.ops.quote_name
    endpoint, event, delivery = (q(m._meta.db_table) for m in (Endpoint, Event, Delivery))
    return (
        f"WITH eps AS (SELECT id FROM {endpoint} "  # noqa: S608 (quoted model tables)
        "  WHERE enabled AND events @> ARRAY[%s]::varchar[]), "
        f"ev AS (INSERT INTO {event} (msg_id, type, body, created_at) "
        "  SELECT m, %s, b, %s FROM unnest(%s::text[], %s::text[]) AS x(m, b) "
        "  WHERE EXISTS (SELECT 1 FROM eps) RETURNING id), "
        f"d AS (INSERT INTO {delivery} (event_id, endpoint_id, status, attempts, next_attempt_at, "
        "  last_error, is_test, created_at) "
        "SELECT ev.id, eps.id, 'pending', 0, %s, '', false, %s FROM ev CROSS JOIN eps "
        "RETURNING id) "
        # Delivered at commit, to the workers' listeners (listener.py); identical
        # notifications of one transaction are sent once.
        f"SELECT d.id, pg_notify('{CHANNEL}', current_schema()) FROM d")


def events_record(*, event_type: str, items: Sequence[dict[str, Any]]) -> list[int]:
    """Write the events and their deliveries; returns the ids of the deliveries, which the
    workers queue once the surrounding transaction commits."""
    kind = CATALOGUE.get(event_type)
    if kind is None or not kind.subscribable:
        raise ValueError(f"{event_type!r} is not in the webhook event catalogue.")
    now = clock.now()
    bodies = [payload_body(event_type, now, data) for data in items]
    msg_ids = [new_msg_id() for _ in bodies]
    with connection.cursor() as cursor:
        cursor.execute(_sql(), [event_type, event_type, now, msg_ids, bodies, now, now])
        delivery_ids = [row[0] for row in cursor.fetchall()]
    if delivery_ids:  # the per-minute sweeper visits this tenant until none is pending
        work_mark(DISPATCH_TASK)
    # No task is published from here: the commit's notification wakes the workers.
    return delivery_ids


def on_events_emitted(sender, *, event_type: str, items, **_kwargs) -> None:
    events_record(event_type=event_type, items=items)
