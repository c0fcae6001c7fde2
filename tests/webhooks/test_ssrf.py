"""The SSRF guard: webhook URLs may only reach public addresses, checked after resolution on
every attempt and pinned for the connection; the allow-list opens named hosts and networks."""

from __future__ import annotations

import pytest

from tenant_apps.webhooks import ssrf
from tenant_apps.webhooks.models import DeliveryStatus
from tenant_apps.webhooks.services import delivery_attempt, endpoint_create, endpoint_send_test
from tenant_apps.webhooks.ssrf import UnsafeTarget, target_vet

pytestmark = pytest.mark.django_db

PRIVATE_URLS = [
    "http://127.0.0.1/hook", "http://127.1.2.3:8080/", "http://10.0.0.5/", "http://172.16.9.1/",
    "http://192.168.1.10/", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/",
    "http://100.64.0.1/", "http://224.0.0.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/", "http://[fc00::1]/", "http://[fd12:3456::1]/",
    "http://[fe80::1]/", "http://[ff02::1]/", "http://[64:ff9b::a00:1]/", "http://localhost/",
]


@pytest.fixture
def no_allow_list(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_and_special_addresses_are_refused(no_allow_list, url):
    with pytest.raises(UnsafeTarget, match="not a public address"):
        target_vet(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://[::1]/x",
                                 "http://169.254.169.254/", "http://[::ffff:10.0.0.1]/"])
def test_the_api_refuses_such_an_endpoint_with_a_field_message(no_allow_list, client_for, url):
    response = client_for("acme", role="admin").post(
        "/api/v1/webhooks/endpoints", {"url": url, "events": ["product.created"]},
        format="json")
    assert response.status_code == 400
    assert "not a public address" in response.json()["error"]["fields"]["url"][0]


def test_a_name_resolving_to_a_private_address_is_refused(no_allow_list, monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["10.20.30.40"])
    with pytest.raises(UnsafeTarget, match=r"resolves to 10\.20\.30\.40"):
        target_vet("https://hooks.example.com/x")
    # One private address among public ones is enough (a rebinding attacker's mix).
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["93.184.216.34", "127.0.0.1"])
    with pytest.raises(UnsafeTarget):
        target_vet("https://hooks.example.com/x")


def test_a_public_address_passes_and_is_pinned(no_allow_list, monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["93.184.216.34"])
    target = target_vet("https://hooks.example.com:8443/in?x=1")
    assert (target.ip, target.host, target.port, target.path) == (
        "93.184.216.34", "hooks.example.com", 8443, "/in?x=1")
    assert target.host_header == "hooks.example.com:8443"


def test_every_attempt_resolves_again_and_a_rebinding_is_refused(
        in_tenant, receiver, monkeypatch, settings):
    """The name first resolves to the (allow-listed) receiver, then to the metadata address:
    the second attempt is refused before any connection, logged, and retried."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.0/8"]
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: next(answers))
    url = receiver.url.replace("127.0.0.1", "hooks.example.test")
    with in_tenant("acme"):
        endpoint = endpoint_create(url=url, events=["product.created"])
        first = endpoint_send_test(endpoint=endpoint)
        assert delivery_attempt(delivery_id=first.pk).outcome == "succeeded"
        second = endpoint_send_test(endpoint=endpoint)
        assert delivery_attempt(delivery_id=second.pk).outcome == "failed"  # tests: no retry
        second.refresh_from_db()
        assert "169.254.169.254" in second.last_error
        assert second.log.get().response_status is None
    [got] = receiver.requests  # connected to the vetted address, with the name as Host
    assert got.headers["host"] == f"hooks.example.test:{receiver.port}"


def test_a_redirect_to_a_private_address_is_not_followed(in_tenant, receiver, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1/32"]
    receiver.answer((307, {"Location": "http://169.254.169.254/latest/meta-data/"}))
    with in_tenant("acme"):
        endpoint = endpoint_create(url=receiver.url, events=["product.created"])
        delivery = endpoint_send_test(endpoint=endpoint)
        delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED and delivery.last_status_code == 307
    assert len(receiver.requests) == 1


def test_https_is_required_when_configured(settings, client_for):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    response = client_for("acme", role="admin").post(
        "/api/v1/webhooks/endpoints",
        {"url": "http://hooks.example.com/x", "events": ["product.created"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["url"] == ["The URL must use https."]


def test_the_allow_list_admits_named_hosts_and_networks(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["localhost", "10.0.0.0/8"]
    assert target_vet("http://10.1.2.3:9000/x").ip == "10.1.2.3"
    assert target_vet("http://localhost:9/x").host == "localhost"
    with pytest.raises(UnsafeTarget):
        target_vet("http://192.168.0.1/")

