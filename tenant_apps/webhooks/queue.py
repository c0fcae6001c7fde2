"""Queueing delivery attempts: the task by name (tasks.py imports the services, so the services
do not import it back), sent into the tenant's schema like any task.

After a commit, the delivery ids are handed to a sender thread of the process instead of being
published inline: publishing a Celery message costs about a millisecond of the request (more
than the outbox write itself), and the outbox already makes the hand-over safe. A process that
dies before its thread sent them leaves the deliveries pending with nobody holding them, and the
per-minute sweeper (``deliveries_dispatch_due``) queues them: late, never lost.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading

from celery import current_app
from django.db import connection, transaction

from tenant_apps.core.services.work_marks import work_mark
from tenant_apps.webhooks.listener import DISPATCH_TASK

logger = logging.getLogger(__name__)

DELIVER_TASK = "webhooks.deliver"
# The header tenant-schemas-celery reads to run a task in its tenant's schema; given explicitly
# because the sender thread's connection is not the request's.
SCHEMA_HEADER = "_schema_name"

_pending: queue.SimpleQueue[tuple[str, list[int]]] = queue.SimpleQueue()
_sender_lock = threading.Lock()
_sender_pid: int | None = None


def delivery_send(delivery_id: int, *, countdown: float | None = None,
                  schema: str | None = None) -> None:
    # ignore_result: otherwise Celery's Redis result backend subscribes to the task's result
    # channel on every send, a round trip for nothing.
    current_app.send_task(DELIVER_TASK, kwargs={"delivery_id": delivery_id},
                          countdown=countdown, ignore_result=True,
                          headers={SCHEMA_HEADER: schema or connection.schema_name})


def _send_batch(schema: str, delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        try:
            delivery_send(delivery_id, schema=schema)
        except Exception:
            logger.warning("Could not queue webhook delivery %s in %s; the sweeper will",
                           delivery_id, schema, exc_info=True)


def _sender() -> None:
    while True:
        _send_batch(*_pending.get())


def _ensure_sender() -> None:
    global _sender_pid
    if _sender_pid == os.getpid():
        return
    with _sender_lock:
        if _sender_pid != os.getpid():  # first use, or a forked child (threads do not fork)
            threading.Thread(target=_sender, name="webhooks-sender", daemon=True).start()
            _sender_pid = os.getpid()


@atexit.register
def _drain() -> None:
    """Best effort at a clean exit; what is left is the sweeper's."""
    while True:
        try:
            batch = _pending.get_nowait()
        except queue.Empty:
            return
        _send_batch(*batch)


def deliveries_enqueue_on_commit(delivery_ids: list[int]) -> None:
    """Queue the deliveries once the transaction that wrote them commits (never before: a
    worker must find them; never after a rollback: nothing may be sent)."""
    schema = connection.schema_name
    work_mark(DISPATCH_TASK)  # the per-minute sweeper visits this tenant until none is pending

    def hand_over() -> None:
        _ensure_sender()
        _pending.put((schema, list(delivery_ids)))

    transaction.on_commit(hand_over)
