"""Celery tasks of the webhooks: thin, ids in, a service inside, run in the tenant's schema.

``deliver`` makes one attempt of one delivery (one endpoint) and is idempotent: the delivery's
lease and state decide whether anything is sent, so a redelivered or duplicate task is harmless.
"""

from celery import shared_task
from django.db import OperationalError, connection

from tenant_apps.webhooks.services import (
    deliveries_dispatch_due,
    delivery_attempt,
    delivery_log_purge,
)


# A worker killed mid-attempt: the message is redelivered (acks_late) but finds the lease still
# held and does nothing; the sweeper sends the delivery again once the lease lapsed.
@shared_task(name="webhooks.deliver", acks_late=True, ignore_result=True,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def deliver(*, delivery_id: int) -> str:
    return delivery_attempt(delivery_id=delivery_id).outcome


@shared_task(name="webhooks.dispatch_due", acks_late=True, ignore_result=True)
def dispatch_due() -> dict:
    return {"schema": connection.schema_name, "queued": deliveries_dispatch_due()}


@shared_task(name="webhooks.purge_log", acks_late=True)
def purge_log() -> dict:
    return {"schema": connection.schema_name, **delivery_log_purge()}
