"""Deliveries to a real HTTP receiver on loopback: Standard Webhooks signatures checked with the
``standardwebhooks`` package's own verifier, secret rotation, the retry schedule on a fake clock,
Retry-After, 410, redirects, and events written only with a committed change."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import jsonschema
import pytest
from django.db import transaction
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tenant_apps.webhooks.catalogue import CATALOGUE
from tenant_apps.webhooks.models import Delivery, DeliveryStatus, Endpoint, Event
from tenant_apps.webhooks.services import (
    RETRY_SCHEDULE,
    delivery_attempt,
    delivery_log_purge,
    delivery_replay,
    endpoint_create,
    endpoint_rotate_secret,
    endpoint_send_test,
)
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db


def _endpoint(url: str, events=("product.created",)) -> Endpoint:
    return endpoint_create(url=url, events=list(events))


def _product_created() -> list[Delivery]:
    from tenant_apps.inventory.services import product_create

    before = set(Delivery.objects.values_list("pk", flat=True))
    product_create(sku=f"SKU-{Delivery.objects.count()}-{Event.objects.count()}", name="Bolt",
                   unit="pcs")
    return list(Delivery.objects.exclude(pk__in=before))


def test_a_delivery_is_signed_by_the_standard_and_verifies(in_tenant, receiver):
    with in_tenant("acme"):
        endpoint = _endpoint(receiver.url)
        [delivery] = _product_created()
        assert delivery_attempt(delivery_id=delivery.pk).outcome == "succeeded"
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
        [attempt] = delivery.log.all()
        assert attempt.response_status == 200 and attempt.request_headers["webhook-id"]
        msg_id = delivery.event.msg_id
    [got] = receiver.requests
    assert endpoint.secret.startswith("whsec_")
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == "product.created" and payload["data"]["name"] == "Bolt"
    assert got.headers["webhook-id"] == msg_id
    assert got.headers["webhook-signature"].startswith("v1,")
    assert len(got.body) < 20 * 1024
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(got.body, got.headers)


def test_payloads_match_their_published_schema(in_tenant, receiver, make_user):
    from tenant_apps.attendance.services import attendance_check_in
    from tests.attendance.factories import EmployeeFactory, SiteFactory

    with in_tenant("acme"):
        _endpoint(receiver.url, events=["product.created", "stock.movement.recorded",
                                        "attendance.checked_in"])
        _product_created()
        product = f.ProductFactory()
        warehouse = f.WarehouseFactory()
        f.receive(product, warehouse, 5)
        employee = EmployeeFactory(default_site=SiteFactory())
        attendance_check_in(employee_id=employee.pk, source="kiosk")
        for delivery in Delivery.objects.all():
            delivery_attempt(delivery_id=delivery.pk)
    types = set()
    for got in receiver.requests:
        payload = json.loads(got.body)
        jsonschema.validate(payload, CATALOGUE.get(payload["type"]).schema())
        types.add(payload["type"])
    assert types == {"product.created", "stock.movement.recorded", "attendance.checked_in"}


def test_secret_rotation_signs_with_both_for_24_hours_then_only_the_new(
        in_tenant, receiver, fake_clock):
    with in_tenant("acme"):
        endpoint = _endpoint(receiver.url)
        old = endpoint.secret
        endpoint = endpoint_rotate_secret(endpoint=endpoint)
        new = endpoint.secret
        assert new != old
        [delivery] = _product_created()
        delivery_attempt(delivery_id=delivery.pk)
        fake_clock.advance(dt.timedelta(hours=24, minutes=1))
        [later] = _product_created()
        delivery_attempt(delivery_id=later.pk)
    during, after = receiver.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


def test_retries_follow_the_schedule_with_jitter_then_disable_and_mail_the_admins(
        in_tenant, receiver, fake_clock, make_user, mailoutbox,
        django_capture_on_commit_callbacks):
    admin = make_user("acme", role="admin")
    receiver.answer(500)
    with in_tenant("acme"):
        endpoint = _endpoint(receiver.url)
        [delivery] = _product_created()
        waits = []
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(len(RETRY_SCHEDULE) + 1):
                # Not due yet: nothing is sent a second early.
                if waits:
                    fake_clock.advance(waits[-1] - dt.timedelta(seconds=2))
                    assert delivery_attempt(delivery_id=delivery.pk).outcome == "skipped"
                    fake_clock.advance(dt.timedelta(seconds=2))
                result = delivery_attempt(delivery_id=delivery.pk)
                if result.outcome != "retry":
                    break
                waits.append(result.retry_in)
        delivery.refresh_from_db()
        endpoint.refresh_from_db()
    assert result.outcome == "failed" and delivery.status == DeliveryStatus.FAILED
    assert len(receiver.requests) == len(RETRY_SCHEDULE) + 1 == delivery.attempts
    for wait, planned in zip(waits, RETRY_SCHEDULE, strict=True):
        assert planned * 0.9 <= wait <= planned * 1.1
    assert len({w / p for w, p in zip(waits, RETRY_SCHEDULE, strict=True)}) > 1  # jittered
    assert not endpoint.enabled and "failed" in endpoint.disabled_reason
    [mail] = mailoutbox
    assert admin.email in mail.to and endpoint.url in mail.body


def test_retry_after_is_honoured(in_tenant, receiver):
    receiver.answer((503, {"Retry-After": "120"}))
    with in_tenant("acme"):
        _endpoint(receiver.url)
        [delivery] = _product_created()
        result = delivery_attempt(delivery_id=delivery.pk)
    assert result.outcome == "retry" and result.retry_in >= dt.timedelta(seconds=120)


def test_410_gone_disables_the_endpoint(in_tenant, receiver):
    receiver.answer(410)
    with in_tenant("acme"):
        endpoint = _endpoint(receiver.url)
        [delivery] = _product_created()
        assert delivery_attempt(delivery_id=delivery.pk).outcome == "failed"
        endpoint.refresh_from_db()
        assert not endpoint.enabled and "410" in endpoint.disabled_reason
        # A disabled endpoint gets no new deliveries.
        assert _product_created() == []


def test_a_redirect_is_not_followed(in_tenant, receiver, another_receiver):
    receiver.answer((302, {"Location": another_receiver.url}))
    with in_tenant("acme"):
        _endpoint(receiver.url)
        [delivery] = _product_created()
        result = delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
    assert result.outcome == "retry" and delivery.last_status_code == 302
    assert len(receiver.requests) == 1 and another_receiver.requests == []


def test_an_event_is_written_only_when_the_change_commits(
        in_tenant, receiver, django_capture_on_commit_callbacks):
    from tenant_apps.core.errors import Conflict
    from tenant_apps.inventory.services import stock_movement_record

    with in_tenant("acme"):
        _endpoint(receiver.url, events=["stock.movement.recorded"])
        product, warehouse = f.ProductFactory(), f.WarehouseFactory()
        with django_capture_on_commit_callbacks() as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                stock_movement_record(kind="receipt", product_id=product.pk,
                                      quantity=Decimal(3), to_warehouse_id=warehouse.pk)
                assert Event.objects.count() == 1  # in the transaction, with the movement
                raise RuntimeError("rolled back")
            # Refused by a business rule: no movement, no event.
            with pytest.raises(Conflict):
                stock_movement_record(kind="issue", product_id=product.pk,
                                      quantity=Decimal(1), from_warehouse_id=warehouse.pk)
        assert Event.objects.count() == 0 and Delivery.objects.count() == 0
        assert callbacks == []  # nothing was queued for sending


def test_nothing_is_written_when_no_endpoint_listens(in_tenant):
    with in_tenant("acme"):
        endpoint_create(url="https://hooks.example.com/x", events=["attendance.checked_in"])
        f.ProductFactory()
        assert _product_created() == []
        assert Event.objects.count() == 0


def test_send_test_event_and_replay_keep_the_webhook_id(in_tenant, receiver):
    with in_tenant("acme"):
        endpoint = _endpoint(receiver.url)
        delivery = endpoint_send_test(endpoint=endpoint)
        delivery_attempt(delivery_id=delivery.pk)
        replay = delivery_replay(delivery=delivery)
        assert replay.pk != delivery.pk
        delivery_attempt(delivery_id=replay.pk)
    first, second = receiver.requests
    assert json.loads(first.body)["type"] == "webhook.test"
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    Webhook(endpoint.secret).verify(second.body, second.headers)


def test_the_delivery_log_is_purged_after_the_retention(in_tenant, receiver, fake_clock,
                                                        settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 7
    with in_tenant("acme"):
        _endpoint(receiver.url)
        [done] = _product_created()
        delivery_attempt(delivery_id=done.pk)
        [pending] = _product_created()
        fake_clock.advance(dt.timedelta(days=8))
        assert delivery_log_purge() == {"deliveries": 2, "events": 1}  # delivery + attempt
        assert list(Delivery.objects.values_list("pk", flat=True)) == [pending.pk]
