"""Integration events: what a feature app says happened, for whoever integrates with the tenant.

A service calls ``event_emit("product.created", {...})`` inside the transaction of the change.
The core only announces the event (a synchronous Django signal); the webhooks app, when
installed, listens and writes it to its outbox in that same transaction, so an event exists
exactly when the change committed (a rolled-back movement leaves no event behind). Feature apps
therefore never import the webhooks app (the layers of docs/architecture.md), and an install
without it pays one signal dispatch per emit.

The catalogue of event types and their payload schemas is the webhooks app's
(``tenant_apps/webhooks/catalogue.py``, docs/webhooks.md); ``data`` must be JSON-serialisable
and thin (ids and the few fields an integrator needs to decide whether to fetch more).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.dispatch import Signal

# Sent with ``event_type`` (str) and ``items`` (a sequence of data dicts, one event each).
events_emitted = Signal()


def events_emit(event_type: str, items: Sequence[dict[str, Any]]) -> None:
    """Emit one event of ``event_type`` per item of ``items`` (a bulk write emits in one go)."""
    if items:
        events_emitted.send(sender=None, event_type=event_type, items=items)


def event_emit(event_type: str, data: dict[str, Any]) -> None:
    """Emit one event; call it inside the transaction of the change it reports."""
    events_emitted.send(sender=None, event_type=event_type, items=(data,))
