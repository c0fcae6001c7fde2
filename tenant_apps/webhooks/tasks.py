"""Celery tasks of the webhooks: thin, ids in, a service inside, run in the tenant's schema.

``deliver`` makes one attempt of one delivery (one endpoint) and is idempotent: the delivery's
lease and state decide whether anything is sent, so a redelivered or duplicate task is harmless.
"""

from celery import shared_task
from django.db import OperationalError, connection

from tenant_apps.core.services.work_marks import work_look_time, work_unmark
from tenant_apps.webhooks.listener import DISPATCH_TASK
from tenant_apps.webhooks.services import (
    deliveries_dispatch_due,
    deliveries_pending,
    delivery_attempt,
    delivery_log_purge,
)


# A worker killed mid-attempt: the message is redelivered (acks_late) but finds the lease still
# held and does nothing; the sweeper sends the delivery again once the lease lapsed.
@shared_task(name="webhooks.deliver", acks_late=True, ignore_result=True,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def deliver(*, delivery_id: int) -> str:
    return delivery_attempt(delivery_id=delivery_id).outcome


@shared_task(name=DISPATCH_TASK, acks_late=True, ignore_result=True)
def dispatch_due() -> dict:
    """Woken by the outbox's notification, and every minute in each tenant marked as having
    pending deliveries (plus the hourly full pass): queue the due ones. With none pending, the
    tenant's mark is cleared and the per-minute fan-out stops visiting it."""
    looked_at = work_look_time()
    queued = deliveries_dispatch_due()
    idle = not deliveries_pending()
    if idle and looked_at:
        work_unmark(DISPATCH_TASK, looked_at=looked_at)
    return {"schema": connection.schema_name, "queued": queued, "idle": idle}


@shared_task(name="webhooks.purge_log", acks_late=True)
def purge_log() -> dict:
    return {"schema": connection.schema_name, **delivery_log_purge()}
