"""Waking the workers when events are written, without publishing from the request.

The outbox statement ends with ``pg_notify('webhooks_outbox', <schema>)``: PostgreSQL delivers
the notification when (and only when) the transaction commits, and it costs the request nothing
beyond the statement it already runs. Every Celery worker's main process runs one listener
thread (started on ``worker_ready``): on a notification it sends ``webhooks.dispatch_due`` into
that schema, which queues a ``webhooks.deliver`` task per due delivery. Notifications arriving
together are coalesced per schema. A notification lost (no worker listening at that moment, a
listener restarting) only delays: the per-minute sweeper finds every pending delivery.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg
from celery import current_app
from django.db import connections

logger = logging.getLogger(__name__)

CHANNEL = "webhooks_outbox"
DISPATCH_TASK = "webhooks.dispatch_due"
SCHEMA_HEADER = "_schema_name"
# Notifications within this window are one dispatch per schema.
COALESCE_SECONDS = 0.02


class OutboxListener:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="webhooks-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception:
                logger.warning("Webhook outbox listener failed; reconnecting", exc_info=True)
                self._stop.wait(2.0)

    def _listen(self) -> None:
        params = connections["default"].get_connection_params()
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            while not self._stop.is_set():
                schemas = {n.payload for n in conn.notifies(timeout=0.5, stop_after=1)}
                if not schemas:
                    continue
                deadline = time.monotonic() + COALESCE_SECONDS
                while (left := deadline - time.monotonic()) > 0:
                    more = list(conn.notifies(timeout=left, stop_after=1))
                    if not more:
                        break
                    schemas.update(n.payload for n in more)
                for schema in schemas:
                    current_app.send_task(DISPATCH_TASK, ignore_result=True,
                                          headers={SCHEMA_HEADER: schema})


listener = OutboxListener()


def start_on_worker_ready(**_kwargs) -> None:
    listener.start()


def stop_on_worker_shutdown(**_kwargs) -> None:
    listener.stop()
