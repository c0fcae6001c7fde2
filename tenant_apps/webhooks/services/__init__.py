"""Writes of the webhooks app: ``endpoints`` (managing them), ``outbox`` (events written with
the change that causes them) and ``delivery`` (attempts, retries, replay, purge)."""

from tenant_apps.webhooks.services.delivery import (
    RETRY_SCHEDULE,
    deliveries_dispatch_due,
    deliveries_pending,
    delivery_attempt,
    delivery_log_purge,
    delivery_replay,
)
from tenant_apps.webhooks.services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_rotate_secret,
    endpoint_send_test,
    endpoint_update,
)
from tenant_apps.webhooks.services.outbox import events_record

__all__ = [
    "RETRY_SCHEDULE", "deliveries_dispatch_due", "deliveries_pending", "delivery_attempt",
    "delivery_log_purge",
    "delivery_replay", "endpoint_create", "endpoint_delete", "endpoint_rotate_secret",
    "endpoint_send_test", "endpoint_update", "events_record",
]
