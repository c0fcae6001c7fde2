"""A custom domain and its ``www.`` alias belong to one tenant whatever path adds them:
provisioning (service, operator API, CLI, archive restore share it), the operator's domain API,
the tenant's own domain API and page, the console's form. The router serves ``www.<domain>`` as
``<domain>``, so giving the alias to another tenant would hijack the first tenant's site."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from shared_apps.accounts.models import User
from tenant_apps.core.errors import Conflict
from tenants.domains import domain_add
from tenants.models import Domain, DomainStatus, Tenant
from tenants.provisioning import tenant_provision
from tests.conftest import TenantClient

pytestmark = pytest.mark.django_db

OPS = "/api/operator/v1"


@pytest.fixture
def shop(tenants) -> Domain:
    """acme's verified custom domain: acme serves shop.acme.example and www.shop.acme.example."""
    domain = domain_add(tenant=tenants["acme"], domain="shop.acme.example")
    Domain.objects.filter(pk=domain.pk).update(status=DomainStatus.VERIFIED)
    return domain


@pytest.fixture
def operator() -> APIClient:
    user = User.objects.create_user(email="ops-twins@platform.test", password="ops-pass-123",
                                    is_staff=True)
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _acme_still_serves_both(client) -> None:
    for host in ("shop.acme.example", "www.shop.acme.example"):
        response = client.get("/healthz", HTTP_HOST=host)
        assert response.status_code == 200, host
    assert Domain.objects.get(domain="shop.acme.example").tenant.slug == "acme"
    assert not Domain.objects.filter(domain="www.shop.acme.example").exclude(
        tenant__slug="acme").exists()


@pytest.mark.parametrize("name", ["www.shop.acme.example", "shop.acme.example"])
def test_provisioning_refuses_a_domain_or_the_www_alias_of_another_tenants(shop, client, name):
    with pytest.raises(Conflict) as refused:
        tenant_provision(slug="hijacker", name="H", owner_email="o@h.example", domains=[name])
    assert refused.value.code == "domain_taken"
    assert "domains" in refused.value.fields
    assert not Tenant.objects.filter(slug="hijacker").exists()
    _acme_still_serves_both(client)


def test_provisioning_refuses_the_bare_domain_when_another_tenant_holds_its_www(tenants):
    domain_add(tenant=tenants["globex"], domain="www.only-www.example")
    with pytest.raises(Conflict):
        tenant_provision(slug="hijacker", name="H", owner_email="o@h.example",
                         domains=["only-www.example"])


def test_the_operator_api_refuses_it_with_a_409_field_error(shop, operator, client):
    response = operator.post(f"{OPS}/tenants", {"slug": "hijacker", "name": "H",
                                                "owner_email": "o@h.example",
                                                "domains": ["www.shop.acme.example"]},
                             format="json")
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "domain_taken"
    assert "www.shop.acme.example" in " ".join(error["fields"]["domains"])

    added = operator.post(f"{OPS}/tenants/globex/domains",
                          {"domain": "www.shop.acme.example"}, format="json")
    assert added.status_code == 409
    assert "domain" in added.json()["error"]["fields"]
    _acme_still_serves_both(client)


def test_the_cli_refuses_it(shop, client):
    with pytest.raises(CommandError, match=r"www\.shop\.acme\.example"):
        call_command("tenant", "create", "hijacker", "--name", "H", "--owner-email",
                     "o@h.example", "--domain", "www.shop.acme.example", verbosity=0)
    connection.set_schema_to_public()
    assert not Tenant.objects.filter(slug="hijacker").exists()
    _acme_still_serves_both(client)


def test_a_tenant_admin_cannot_take_it_in_the_api_or_on_the_page(shop, make_user, client):
    admin = TenantClient("globex").login_as(make_user("globex", role="admin"))
    response = admin.post("/api/v1/domains", {"domain": "www.shop.acme.example"},
                          format="json")
    assert response.status_code == 409
    assert "domain" in response.json()["error"]["fields"]
    page = admin.post("/settings/domains/", {"domain": "www.shop.acme.example"})
    assert page.status_code in (200, 400, 409)
    assert b"belongs to another tenant" in page.content or b"in use" in page.content
    connection.set_schema_to_public()
    _acme_still_serves_both(client)


def test_the_consoles_domain_form_refuses_it(shop, tenants):
    intruder = Domain(domain="www.shop.acme.example", tenant=tenants["globex"])
    with pytest.raises(ValidationError) as refused:
        intruder.full_clean()
    assert "domain" in refused.value.message_dict
    Domain(domain="www.shop.acme.example", tenant=tenants["acme"]).full_clean()


def test_the_same_tenant_may_hold_both(shop, tenants):
    assert domain_add(tenant=tenants["acme"], domain="www.shop.acme.example").tenant_id == (
        tenants["acme"].pk)
