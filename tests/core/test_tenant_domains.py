"""A workspace's admins manage its custom domains themselves, in the API (/api/v1/domains) and
on /settings/domains/: add (the answer shows the TXT and CNAME records), check now (a dnslib
server on loopback answers), remove. Members are refused; another tenant's domain and the
workspace's own platform address are out of reach."""

from __future__ import annotations

import pytest
from django.db import connection

from tenants.domains import domain_add
from tenants.models import Domain
from tests.core import test_domains

pytestmark = pytest.mark.django_db

dns_zone = test_domains.dns_zone  # the loopback DNS server fixture
API = "/api/v1/domains"


def _public() -> None:
    connection.set_schema_to_public()  # a request leaves the connection in the tenant's schema


def test_an_admin_adds_reads_checks_and_removes_a_domain(client_for, dns_zone):
    admin = client_for("acme", role="admin")
    created = admin.post(API, {"domain": "App.Acme-Shop.example"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["domain"] == "app.acme-shop.example" and body["status"] == "pending"
    assert body["dns"]["txt"]["name"] == "_saas-verify.app.acme-shop.example"
    assert body["dns"]["txt"]["value"].startswith("saas-verify-")
    assert body["dns"]["cname"] == {"name": "app.acme-shop.example",
                                    "target": "domains.localhost"}

    listed = admin.get(API).json()
    assert [row["domain"] for row in listed["results"]] == ["app.acme-shop.example"]
    assert admin.get(f"{API}/app.acme-shop.example").json()["status"] == "pending"

    not_yet = admin.post(f"{API}/app.acme-shop.example/check").json()
    assert not_yet["status"] == "pending" and "No TXT record" in not_yet["last_check_error"]
    dns_zone.txt["_saas-verify.app.acme-shop.example"] = [body["dns"]["txt"]["value"]]
    checked = admin.post(f"{API}/app.acme-shop.example/check")
    assert checked.status_code == 200 and checked.json()["status"] == "verified"

    assert admin.delete(f"{API}/app.acme-shop.example").status_code == 204
    assert admin.get(API).json()["count"] == 0
    _public()
    assert not Domain.objects.filter(domain="app.acme-shop.example").exists()


def test_bad_names_and_taken_names_are_400_and_409(client_for, tenants):
    domain_add(tenant=tenants["globex"], domain="taken.example")
    admin = client_for("acme", role="admin")
    bad = admin.post(API, {"domain": "not a host"}, format="json")
    assert bad.status_code == 400 and "domain" in bad.json()["error"]["fields"]
    platform = admin.post(API, {"domain": "other.localhost"}, format="json")
    assert platform.status_code == 400
    taken = admin.post(API, {"domain": "www.taken.example"}, format="json")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "domain_taken"


def test_members_and_viewers_are_refused(client_for, tenants):
    domain_add(tenant=tenants["acme"], domain="members.example")
    for role in ("member", "viewer"):
        caller = client_for("acme", role=role)
        assert caller.get(API).status_code == 403
        assert caller.post(API, {"domain": "x.example"}, format="json").status_code == 403
        assert caller.post(f"{API}/members.example/check").status_code == 403
        assert caller.delete(f"{API}/members.example").status_code == 403
    _public()
    assert list(Domain.objects.filter(tenant=tenants["acme"], domain__endswith=".example")
                .values_list("domain", flat=True)) == ["members.example"]


def test_another_tenant_can_neither_see_nor_touch_a_domain(client_for, tenants):
    domain_add(tenant=tenants["acme"], domain="acme-only.example")
    globex = client_for("globex", role="owner")
    assert globex.get(API).json()["count"] == 0
    for response in (globex.get(f"{API}/acme-only.example"),
                     globex.post(f"{API}/acme-only.example/check"),
                     globex.delete(f"{API}/acme-only.example")):
        assert response.status_code == 404, response.content
        assert response.json()["error"]["code"] == "domain_not_found"
    # Nor the other tenant's platform address.
    assert globex.delete(f"{API}/acme.localhost").status_code == 404
    _public()
    found = Domain.objects.get(domain="acme-only.example")
    assert found.tenant_id == tenants["acme"].pk and found.last_checked_at is None


def test_the_platform_address_is_not_listed_checked_or_removable(client_for):
    admin = client_for("acme", role="owner")
    assert admin.get(API).json()["count"] == 0
    for response in (admin.delete(f"{API}/acme.localhost"),
                     admin.post(f"{API}/acme.localhost/check")):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "domain_platform"
        assert "cannot be removed" in response.json()["error"]["message"]
    _public()
    assert Domain.objects.filter(domain="acme.localhost", is_primary=True).exists()


def test_a_custom_primary_domain_cannot_be_removed(client_for, tenants):
    primary = domain_add(tenant=tenants["acme"], domain="primary.example")
    Domain.objects.filter(pk=primary.pk).update(is_primary=True)
    admin = client_for("acme", role="admin")
    response = admin.delete(f"{API}/primary.example")
    assert response.status_code == 409 and response.json()["error"]["code"] == "domain_primary"


def test_the_page_lets_an_admin_add_check_and_remove(client_for, dns_zone):
    admin = client_for("acme", role="admin")
    empty = admin.get("/settings/domains/")
    assert empty.status_code == 200 and b"No custom domains yet" in empty.content
    assert b"acme.localhost" in empty.content
    added = admin.post("/settings/domains/", {"domain": "page.acme.example"}, follow=True)
    page = added.content.decode()
    assert "page.acme.example" in page and "_saas-verify.page.acme.example" in page
    assert "domains.localhost" in page and "pending" in page and "Check now" in page
    _public()
    token = Domain.objects.get(domain="page.acme.example").verification_token
    assert token in page
    dns_zone.txt["_saas-verify.page.acme.example"] = [token]
    checked = admin.post("/settings/domains/page.acme.example/check", follow=True)
    assert "is verified" in checked.content.decode()
    assert "badge ok" in checked.content.decode()
    invalid = admin.post("/settings/domains/", {"domain": "x.localhost"})
    assert invalid.status_code == 200 and "platform" in invalid.content.decode()
    removed = admin.post("/settings/domains/page.acme.example/remove", follow=True)
    assert "No custom domains yet" in removed.content.decode()
    # The settings page links here.
    assert b'href="/settings/domains/"' in admin.get("/settings/").content


def test_the_page_is_refused_to_members_and_shows_no_other_tenants_domain(client_for, tenants):
    domain_add(tenant=tenants["acme"], domain="secret-acme.example")
    member = client_for("acme", role="member")
    assert member.get("/settings/domains/").status_code == 403
    assert member.post("/settings/domains/", {"domain": "m.example"}).status_code == 403
    assert member.post("/settings/domains/secret-acme.example/remove").status_code == 403
    globex = client_for("globex", role="owner")
    assert b"secret-acme.example" not in globex.get("/settings/domains/").content
    globex.post("/settings/domains/secret-acme.example/remove")
    _public()
    assert Domain.objects.filter(domain="secret-acme.example").exists()
    assert not Domain.objects.filter(domain="m.example").exists()
