"""Committed data and real workers: events reach their own tenant's endpoint only, through
Celery; a worker killed mid-delivery leaves the delivery to be sent again with the same
webhook-id (at least once)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import threading
import time

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from standardwebhooks.webhooks import Webhook

from tenant_apps.webhooks.models import Delivery, DeliveryStatus, Endpoint, Event


def _wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def clean_webhooks(committed_db):
    from tenant_apps.inventory.models import Product

    yield
    for schema in ("t_acme", "t_globex"):
        with schema_context(schema):
            Endpoint.objects.all().delete()
            Event.objects.all().delete()
            Product.objects.filter(sku__startswith="WH-").delete()
    connection.set_schema_to_public()


@pytest.fixture
def outbox_listener(celery_worker):
    """What a real worker starts on worker_ready (the test worker sends no such signal)."""
    from tenant_apps.webhooks.listener import listener

    listener.start()
    yield
    listener.stop()


def test_an_endpoint_of_one_tenant_never_receives_another_tenants_events(
        clean_webhooks, outbox_listener, receiver, another_receiver):
    from tenant_apps.inventory.services import product_create
    from tenant_apps.webhooks.services import endpoint_create

    secrets = {}
    for schema, target in (("t_acme", receiver), ("t_globex", another_receiver)):
        with schema_context(schema):
            secrets[schema] = endpoint_create(url=target.url, events=["product.created"]).secret
    for schema, sku in (("t_acme", "WH-A1"), ("t_globex", "WH-G1"), ("t_globex", "WH-G2")):
        with schema_context(schema):
            product_create(sku=sku, name=sku, unit="pcs")
    assert _wait_for(lambda: len(receiver.requests) >= 1 and len(another_receiver.requests) >= 2)
    time.sleep(0.5)  # nothing more arrives
    acme = [Webhook(secrets["t_acme"]).verify(r.body, r.headers) for r in receiver.requests]
    globex = [Webhook(secrets["t_globex"]).verify(r.body, r.headers)
              for r in another_receiver.requests]
    assert [p["data"]["sku"] for p in acme] == ["WH-A1"]
    assert sorted(p["data"]["sku"] for p in globex) == ["WH-G1", "WH-G2"]
    with schema_context("t_acme"):
        assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED


def _attempt_in_child(delivery_id: int) -> None:
    from tenant_apps.webhooks.services import delivery_attempt

    with schema_context("t_acme"):
        delivery_attempt(delivery_id=delivery_id)
    os._exit(0)


def test_a_worker_killed_mid_delivery_leaves_it_to_be_sent_again_with_the_same_id(
        clean_webhooks, receiver, fake_clock, settings):
    from tenant_apps.inventory.services import product_create
    from tenant_apps.webhooks.services import (
        deliveries_dispatch_due,
        delivery_attempt,
        endpoint_create,
    )

    settings.WEBHOOK_DELIVERY_LEASE_SECONDS = 30
    release = threading.Event()
    receiver.on_request = lambda got: release.wait(20) if len(receiver.requests) == 1 else None
    with schema_context("t_acme"):
        endpoint = endpoint_create(url=receiver.url, events=["product.created"])
        product_create(sku="WH-K1", name="Killed", unit="pcs")
        delivery = Delivery.objects.get()
    connection.close()  # the child opens its own connection
    child = multiprocessing.get_context("fork").Process(target=_attempt_in_child,
                                                        args=(delivery.pk,))
    child.start()
    try:
        assert receiver.got_one.wait(20), "the child never sent the request"
        os.kill(child.pid, signal.SIGKILL)  # mid-delivery: sent, no answer recorded
        child.join(10)
    finally:
        release.set()
    with schema_context("t_acme"):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING and delivery.lease_until is not None
        assert deliveries_dispatch_due() == 0  # the dead worker's lease still holds
        fake_clock.advance(dt.timedelta(seconds=31))
        assert deliveries_dispatch_due() == 1  # the sweeper (every minute) queues it again
        assert delivery_attempt(delivery_id=delivery.pk).outcome == "succeeded"
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    Webhook(endpoint.secret).verify(second.body, second.headers)
