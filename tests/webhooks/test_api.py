"""The webhooks API and page: admins manage endpoints, read the delivery log, replay, rotate,
send test events; the catalogue is published; another tenant sees none of it."""

from __future__ import annotations

import pytest

from tenant_apps.webhooks.catalogue import SUBSCRIBABLE

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhooks/endpoints"


def _create(client, **extra):
    body = {"url": "https://hooks.example.com/in", "events": ["product.created"], **extra}
    return client.post(ENDPOINTS, body, format="json")


def test_an_admin_creates_an_endpoint_and_gets_its_secret(client_for):
    response = _create(client_for("acme", role="admin"), description="ERP")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["enabled"] is True
    assert body["events"] == ["product.created"] and body["description"] == "ERP"


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_manage_webhooks(client_for, role):
    client = client_for("acme", role=role)
    assert _create(client).status_code == 403
    assert client.get(ENDPOINTS).status_code == 403
    assert client.get("/webhooks/").status_code == 403


def test_unknown_event_types_are_refused_by_name(client_for):
    response = _create(client_for("acme", role="admin"), events=["stock.low", "stock.hgih"])
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "events.1": ['"stock.hgih" is not a valid choice.']}


def test_rotate_test_and_replay(client_for):
    client = client_for("acme", role="admin")
    endpoint = _create(client).json()
    rotated = client.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret").json()
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_expires_at"]
    sent = client.post(f"{ENDPOINTS}/{endpoint['id']}/test")
    assert sent.status_code == 202 and sent.json()["event_type"] == "webhook.test"
    deliveries = client.get("/api/v1/webhooks/deliveries",
                            {"endpoint": endpoint["id"]}).json()["results"]
    assert [d["id"] for d in deliveries] == [sent.json()["id"]]
    detail = client.get(f"/api/v1/webhooks/deliveries/{sent.json()['id']}").json()
    assert detail["payload"]["type"] == "webhook.test" and detail["log"] == []
    replay = client.post(f"/api/v1/webhooks/deliveries/{sent.json()['id']}/replay")
    assert replay.status_code == 202
    assert replay.json()["event_id"] == sent.json()["event_id"]  # same webhook-id


def test_disable_and_enable_again(client_for):
    client = client_for("acme", role="admin")
    endpoint = _create(client).json()
    url = f"{ENDPOINTS}/{endpoint['id']}"
    assert client.patch(url, {"enabled": False}, format="json").json()["enabled"] is False
    assert client.patch(url, {"enabled": True}, format="json").json()["enabled"] is True
    assert client.delete(url).status_code == 204


def test_the_event_catalogue_is_published_with_schemas(client_for):
    body = client_for("acme", role="viewer").get("/api/v1/webhooks/event-types").json()
    types = {entry["type"]: entry for entry in body}
    assert set(SUBSCRIBABLE) <= set(types)
    assert types["member.invited"]["reserved"] is True
    schema = types["stock.movement.recorded"]["schema"]
    assert schema["required"] == ["type", "timestamp", "data"] and types[
        "stock.movement.recorded"]["version"] == 1


def test_the_catalogue_is_in_the_openapi_schema(client_for):
    schema = client_for("acme", role=None).get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert "WebhookEvent.stock.low" in components
    created = components["WebhookEvent.product.created"]
    assert created["properties"]["type"] == {"enum": ["product.created"]}
    assert components["WebhookEvent.stock.movement.recorded"]["properties"]["data"][
        "properties"]["from_warehouse"]["nullable"] is True


def test_another_tenant_sees_no_endpoint_or_delivery(client_for):
    acme = client_for("acme", role="admin")
    endpoint = _create(acme).json()
    acme.post(f"{ENDPOINTS}/{endpoint['id']}/test")
    globex = client_for("globex", role="admin")
    assert globex.get(ENDPOINTS).json()["count"] == 0
    assert globex.get(f"{ENDPOINTS}/{endpoint['id']}").status_code == 404
    assert globex.post(f"{ENDPOINTS}/{endpoint['id']}/test").status_code == 404
    assert globex.get("/api/v1/webhooks/deliveries").json()["count"] == 0


def test_the_page_is_there_for_admins(client_for):
    response = client_for("acme", role="admin").get("/webhooks/")
    assert response.status_code == 200
    assert b"Send test event" in response.content
