"""Standard API headers: RateLimit / RateLimit-Policy (IETF draft) on API responses from the
throttles' own counters, Idempotency-Key documented where it is honoured (and expiring), and an
unknown Authorization scheme answered with the one that is accepted."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

ITEM = re.compile(r'"(?P<scope>\w+)";(?P<a>[qr])=(?P<n>\d+);(?P<b>[wt])=(?P<m>\d+)')


def _items(header: str) -> dict[str, tuple[int, int]]:
    return {m["scope"]: (int(m["n"]), int(m["m"])) for m in ITEM.finditer(header)}


def test_a_session_request_carries_the_tenant_limit(client_for, settings):
    client = client_for("acme", role="viewer")
    first = client.get("/api/v1/inventory/products")
    second = client.get("/api/v1/inventory/products")
    assert first.status_code == 200
    policy = _items(first["RateLimit-Policy"])
    assert policy == {"tenant": (6000, 60)}
    (left_1, reset), (left_2, _) = (_items(first["RateLimit"])["tenant"],
                                    _items(second["RateLimit"])["tenant"])
    assert left_2 == left_1 - 1 and 1 <= reset <= 60


def test_an_api_key_request_carries_both_limits(api_key_for):
    client, _ = api_key_for("acme", scope="read")
    response = client.get("/api/v1/inventory/products")
    assert set(_items(response["RateLimit-Policy"])) == {"tenant", "api_key"}
    assert _items(response["RateLimit-Policy"])["api_key"] == (1200, 60)


def test_a_refused_request_says_nothing_is_left(api_key_for, settings, monkeypatch):
    from tenant_apps.core.api import throttling

    monkeypatch.setitem(throttling.WindowRateThrottle.THROTTLE_RATES, "api_key", "2/min")
    client, _ = api_key_for("acme", scope="read")
    responses = [client.get("/api/v1/me") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert _items(responses[2]["RateLimit"])["api_key"][0] == 0
    assert int(responses[2]["Retry-After"]) >= 1


def test_pages_carry_no_rate_limit_headers(client_for):
    response = client_for("acme", role="viewer").get("/")
    assert "RateLimit" not in response


@pytest.mark.parametrize("header", ["Bearer abc.def", "Basic dXNlcjpwYXNz", "Token x"])
def test_an_unknown_scheme_is_401_naming_the_accepted_one(client_for, header):
    client = client_for("acme", role=None)
    response = client.get("/api/v1/inventory/products", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    message = response.json()["error"]["message"]
    assert header.split()[0] in message and "Authorization: Api-Key <key>" in message
    assert response["WWW-Authenticate"] == "Api-Key"


def test_idempotency_key_is_documented_exactly_where_it_is_honoured(client_for):
    schema = client_for("acme", role=None).get("/api/v1/schema/?format=json").json()
    documented = sorted(
        f"{method.upper()} {path}" for path, item in schema["paths"].items()
        for method, operation in item.items()
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])))
    assert documented == [
        "POST /api/v1/attendance/check-in", "POST /api/v1/attendance/check-out",
        "POST /api/v1/attendance/exports", "POST /api/v1/domains",
        "POST /api/v1/inventory/movements", "POST /api/v1/inventory/movements/bulk"]
    products = schema["paths"]["/api/v1/inventory/products"]["get"]["responses"]["200"]
    assert "RateLimit" in products["headers"]


def test_an_idempotency_key_expires_after_its_retention(client_for, in_tenant):
    from tenant_apps.core.models import IdempotencyRecord
    from tenant_apps.core.tasks import purge_idempotency_records
    from tests.inventory import factories as f

    client = client_for("acme", role="member")
    with in_tenant("acme"):
        product, warehouse = f.ProductFactory(), f.WarehouseFactory()
    body = {"kind": "receipt", "product": product.pk, "quantity": "1",
            "to_warehouse": warehouse.pk}
    first = client.post("/api/v1/inventory/movements", body, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    replay = client.post("/api/v1/inventory/movements", body, format="json",
                         HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    with in_tenant("acme"):
        IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    later = client.post("/api/v1/inventory/movements", body, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert later.json()["id"] != first.json()["id"]
    with in_tenant("acme"):
        IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
        assert purge_idempotency_records.run()["deleted"] == 1


def test_a_401_and_a_403_carry_the_limits_without_spending_them(client_for, api_key_for):
    viewer = client_for("acme", role="viewer")
    before = _items(viewer.get("/api/v1/me")["RateLimit"])["tenant"][0]
    anonymous = client_for("acme", role=None).get("/api/v1/inventory/products")
    assert anonymous.status_code == 401
    assert _items(anonymous["RateLimit-Policy"]) == {"tenant": (6000, 60)}
    bad_key = client_for("acme", role=None)
    bad_key.credentials(HTTP_AUTHORIZATION="Api-Key sk_nope1234.nothing")
    refused = bad_key.get("/api/v1/inventory/products")
    assert refused.status_code == 401 and "RateLimit" in refused
    forbidden = viewer.post("/api/v1/inventory/warehouses", {"code": "X", "name": "X"},
                            format="json")
    assert forbidden.status_code == 403
    assert "tenant" in _items(forbidden["RateLimit"])
    # Neither refusal was counted: the next request sees one less than before, not three.
    after = _items(viewer.get("/api/v1/me")["RateLimit"])["tenant"][0]
    assert after == before - 1
    client, _ = api_key_for("acme", scope="read")
    denied = client.post("/api/v1/inventory/warehouses", {"code": "Y", "name": "Y"},
                         format="json")
    assert denied.status_code == 403
    assert set(_items(denied["RateLimit-Policy"])) == {"tenant", "api_key"}
