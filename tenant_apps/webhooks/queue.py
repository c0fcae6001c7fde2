"""Queueing a delivery attempt: the task by name (tasks.py imports the services, so the services
do not import it back), sent into the current tenant's schema like any task."""

from __future__ import annotations

from celery import current_app
from django.db import transaction

DELIVER_TASK = "webhooks.deliver"


def delivery_send(delivery_id: int, *, countdown: float | None = None) -> None:
    current_app.send_task(DELIVER_TASK, kwargs={"delivery_id": delivery_id},
                          countdown=countdown)


def deliveries_enqueue_on_commit(delivery_ids: list[int]) -> None:
    """Queue the deliveries once the transaction that wrote them commits (never before: a
    worker must find them; never after a rollback: nothing may be sent)."""

    def send() -> None:
        for delivery_id in delivery_ids:
            delivery_send(delivery_id)

    transaction.on_commit(send)
