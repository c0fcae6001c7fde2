"""Demo webhooks for ``manage.py seed_demo``: one endpoint receiving every event, pointing at
the example receiver (``python -m tenant_apps.webhooks.receiver``, port 8025; localhost is
allow-listed in development), and a test event queued to it. Idempotent: a tenant that has an
endpoint is left alone."""

from __future__ import annotations

from django.db import transaction

from tenant_apps.webhooks.catalogue import SUBSCRIBABLE
from tenant_apps.webhooks.models import Endpoint
from tenant_apps.webhooks.services import endpoint_create, endpoint_send_test

DEMO_URL = "http://127.0.0.1:8025/webhooks"


@transaction.atomic
def seed() -> dict[str, int]:
    if Endpoint.objects.exists():
        return {"endpoints": 0}
    endpoint = endpoint_create(url=DEMO_URL, events=list(SUBSCRIBABLE),
                               description="Demo receiver (python -m "
                                           "tenant_apps.webhooks.receiver)")
    endpoint_send_test(endpoint=endpoint)
    return {"endpoints": 1}
