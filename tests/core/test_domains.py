"""Custom domains verified by DNS (a dnslib server on loopback answers the TXT look-ups): only
verified domains route; a record removed later is noticed and the domain suspended after the
grace period (the owner e-mailed); the TLS ask endpoint allows certificates only for names we
serve."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import connection
from django.utils import timezone
from dnslib import QTYPE, RR, TXT
from dnslib.server import BaseResolver, DNSServer

from tenants.domains import domain_add, domain_check, domains_check_all, tls_allowed
from tenants.models import Domain, DomainStatus

pytestmark = pytest.mark.django_db


class ZoneResolver(BaseResolver):
    def __init__(self) -> None:
        self.txt: dict[str, list[str]] = {}

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        if request.q.qtype == QTYPE.TXT:
            for value in self.txt.get(name, []):
                reply.add_answer(RR(name, QTYPE.TXT, rdata=TXT(value), ttl=1))
        if not reply.rr:
            reply.header.rcode = 3  # NXDOMAIN
        return reply


@pytest.fixture
def dns_zone(settings) -> Iterator[ZoneResolver]:
    zone = ZoneResolver()
    server = DNSServer(zone, port=0, address="127.0.0.1")
    server.start_thread()
    port = server.server.server_address[1]
    settings.DOMAIN_VERIFY_NAMESERVERS = [f"127.0.0.1:{port}"]
    settings.DOMAIN_VERIFY_TIMEOUT_SECONDS = 2
    yield zone
    server.stop()


def _publish(zone: ZoneResolver, domain: Domain, value: str | None = None) -> None:
    zone.txt[f"_saas-verify.{domain.domain}"] = [value or domain.verification_token]


def _routes(client, host: str) -> int:
    from tenants.routing import host_router

    host_router.clear_local()
    # Not /healthz: it answers on any host, before routing (tenants/health.py).
    status = client.get("/accounts/login/", HTTP_HOST=host).status_code
    connection.set_schema_to_public()  # the request left the connection in the tenant's schema
    return status


def test_a_domain_is_added_pending_and_does_not_route(tenants, client):
    domain = domain_add(tenant=tenants["acme"], domain="App.Customer-One.example")
    assert domain.domain == "app.customer-one.example" and domain.status == DomainStatus.PENDING
    assert domain.verification_token.startswith("saas-verify-")
    assert _routes(client, "app.customer-one.example") == 404


def test_the_right_txt_record_verifies_and_the_domain_routes(tenants, client, dns_zone):
    domain = domain_add(tenant=tenants["acme"], domain="app.customer-two.example")
    _publish(dns_zone, domain)
    assert domain_check(domain=domain).status == DomainStatus.VERIFIED
    assert domain.verified_at is not None and domain.last_check_error == ""
    assert _routes(client, "app.customer-two.example") == 200
    assert _routes(client, "www.app.customer-two.example") == 200


def test_a_wrong_token_or_a_missing_record_leaves_it_pending(tenants, client, dns_zone):
    wrong = domain_add(tenant=tenants["acme"], domain="wrong.customer.example")
    _publish(dns_zone, wrong, "saas-verify-not-the-token")
    missing = domain_add(tenant=tenants["acme"], domain="missing.customer.example")
    assert domain_check(domain=wrong).status == DomainStatus.PENDING
    assert "other values" in wrong.last_check_error
    assert domain_check(domain=missing).status == DomainStatus.PENDING
    assert "No TXT record" in missing.last_check_error
    assert _routes(client, "wrong.customer.example") == 404


def test_a_removed_record_suspends_the_domain_after_the_grace_period(
        tenants, client, dns_zone, settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.DOMAIN_SUSPEND_GRACE_HOURS = 48
    domain = domain_add(tenant=tenants["acme"], domain="shop.customer-three.example")
    _publish(dns_zone, domain)
    now = timezone.now()
    domain_check(domain=domain, now=now)
    dns_zone.txt.clear()
    with django_capture_on_commit_callbacks(execute=True):
        domain_check(domain=domain, now=now + dt.timedelta(hours=1))
        assert domain.status == DomainStatus.VERIFIED and domain.txt_missing_since is not None
        assert _routes(client, "shop.customer-three.example") == 200  # within the grace period
        domain_check(domain=domain, now=now + dt.timedelta(hours=50))
    assert domain.status == DomainStatus.SUSPENDED
    assert _routes(client, "shop.customer-three.example") == 404
    warning, suspended = mailoutbox
    assert warning.to == ["owner@acme.test"] and "missing" in warning.subject
    assert "suspended" in suspended.subject
    # The record comes back: verified again.
    _publish(dns_zone, domain)
    assert domain_check(domain=domain, now=now + dt.timedelta(hours=51)).status == "verified"


def test_a_dns_failure_changes_nothing(tenants, settings):
    domain = domain_add(tenant=tenants["acme"], domain="flaky.customer.example")
    Domain.objects.filter(pk=domain.pk).update(status=DomainStatus.VERIFIED)
    domain.refresh_from_db()
    settings.DOMAIN_VERIFY_NAMESERVERS = ["127.0.0.1:9"]  # nobody answers
    settings.DOMAIN_VERIFY_TIMEOUT_SECONDS = 0.5
    assert domain_check(domain=domain).status == DomainStatus.VERIFIED
    assert domain.txt_missing_since is None and "DNS lookup failed" in domain.last_check_error


def test_the_periodic_job_checks_custom_domains_only(tenants, dns_zone):
    domain = domain_add(tenant=tenants["globex"], domain="globex-shop.example")
    _publish(dns_zone, domain)
    counts = domains_check_all()
    assert counts["verified"] >= 1
    assert Domain.objects.get(domain="globex-shop.example").status == DomainStatus.VERIFIED
    assert Domain.objects.get(domain="acme.localhost").last_checked_at is None


def test_a_domain_and_its_www_alias_belong_to_one_tenant(tenants):
    from tenant_apps.core.errors import Conflict

    domain_add(tenant=tenants["acme"], domain="twins.example")
    with pytest.raises(Conflict):
        domain_add(tenant=tenants["globex"], domain="www.twins.example")
    with pytest.raises(Conflict):
        domain_add(tenant=tenants["globex"], domain="twins.example")
    assert domain_add(tenant=tenants["acme"], domain="www.twins.example").tenant_id == tenants[
        "acme"].pk


def test_the_tls_ask_endpoint_answers_for_names_we_serve_only(tenants, client, dns_zone):
    verified = domain_add(tenant=tenants["acme"], domain="tls.customer.example")
    _publish(dns_zone, verified)
    domain_check(domain=verified)
    domain_add(tenant=tenants["acme"], domain="pending.customer.example")
    suspended_tenant_domain = domain_add(tenant=tenants["initech"], domain="initech.example")
    Domain.objects.filter(pk=suspended_tenant_domain.pk).update(status="verified")
    tenants["initech"].state = "suspended"
    tenants["initech"].save()

    def ask(name: str) -> int:
        return client.get("/internal/tls-ask", {"domain": name},
                          HTTP_HOST="localhost").status_code

    assert ask("tls.customer.example") == 200
    assert ask("www.tls.customer.example") == 200
    assert ask("acme.localhost") == 200  # an active tenant's subdomain
    assert ask("localhost") == 200  # the public host
    assert ask("pending.customer.example") == 404
    assert ask("initech.example") == 404  # tenant not active
    assert ask("initech.localhost") == 404
    assert ask("nobody.localhost") == 404
    assert ask("evil.example") == 404
    assert ask("") == 404
    assert tls_allowed("www.acme.localhost") is False


def test_operators_add_and_check_domains_through_the_api(tenants, client, dns_zone):
    from shared_apps.accounts.models import User

    operator = User.objects.create_user(email="op@platform.test", password="pw-op-12345",
                                        is_staff=True)
    client.force_login(operator)
    base = "/api/operator/v1/tenants/acme/domains"
    created = client.post(base, {"domain": "api.customer.example"},
                          content_type="application/json", HTTP_HOST="localhost")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending"
    assert body["dns"]["txt"]["name"] == "_saas-verify.api.customer.example"
    assert body["dns"]["cname"]["target"] == "domains.localhost"
    dns_zone.txt["_saas-verify.api.customer.example"] = [body["dns"]["txt"]["value"]]
    checked = client.post(f"{base}/api.customer.example/check", HTTP_HOST="localhost")
    assert checked.json()["status"] == "verified"
    bad = client.post(base, {"domain": "shop.localhost"}, content_type="application/json",
                      HTTP_HOST="localhost")
    assert bad.status_code == 400
    assert client.delete(f"{base}/api.customer.example",
                         HTTP_HOST="localhost").status_code == 204
