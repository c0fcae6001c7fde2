"""``Idempotency-Key`` on ``POST /api/v1/domains``: an integrator retrying an add it did not see
the answer to gets the first answer back (the same DNS token), and one domain exists."""

import pytest
from django.db import connection

from tenants.models import Domain

pytestmark = pytest.mark.django_db
API = "/api/v1/domains"


def test_a_retried_add_with_the_same_key_replays_the_first_answer(client_for):
    admin = client_for("acme", role="admin")
    first = admin.post(API, {"domain": "retry.acme-shop.example"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="add-retry-1")
    assert first.status_code == 201, first.content
    again = admin.post(API, {"domain": "retry.acme-shop.example"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="add-retry-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = admin.post(API, {"domain": "other.acme-shop.example"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="add-retry-1")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    connection.set_schema_to_public()
    assert Domain.objects.filter(domain__endswith=".acme-shop.example").count() == 1


def test_the_schema_lists_the_header_on_the_add(client_for):
    schema = client_for("acme", role="admin").get("/api/v1/schema/?format=json").json()
    names = [p["name"] for p in schema["paths"]["/api/v1/domains"]["post"]["parameters"]]
    assert "Idempotency-Key" in names
