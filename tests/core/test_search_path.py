"""A tenant's connection sees its own schema only: no ``public`` fallback on its search_path
(tenants/postgresql_backend), so a tenant-side query of a public-only table fails loudly
instead of reading the shared rows."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connection, transaction
from django_tenants.utils import schema_context, tenant_context

from tenants.models import Domain, Tenant


def _search_path() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        return cursor.fetchone()[0].replace('"', "")


def test_a_tenant_search_path_is_its_schema_alone_whoever_asks_for_public(tenants):
    with schema_context("t_acme"):
        assert _search_path() == "t_acme"
    with tenant_context(tenants["globex"]):
        assert _search_path() == "t_globex"
    # What tenant-schemas-celery's task_prerun does for every tenant task.
    connection.set_tenant(tenants["initech"], include_public=True)
    assert _search_path() == "t_initech"
    connection.set_schema_to_public()
    assert _search_path() == "public"


def test_a_raw_query_of_the_registry_on_a_tenant_host_fails_loudly(client_for):
    client = client_for("acme", role="viewer")
    response = client.get("/api/v1/me")  # the usual tenant API works...
    assert response.status_code == 200
    assert response.json()["tenant"]["slug"] == "acme"
    assert connection.schema_name == "t_acme"  # ...and leaves the connection in acme
    with pytest.raises(ProgrammingError, match='relation "tenants_tenant" does not exist'), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT slug FROM tenants_tenant")


@pytest.mark.parametrize("model", [Tenant, Domain])
def test_the_orm_cannot_read_the_registry_from_a_tenant_schema(db, model):
    with schema_context("t_acme"), pytest.raises(ProgrammingError, match="does not exist"), \
            transaction.atomic():
        model.objects.count()
    assert Tenant.objects.filter(slug="acme").exists()  # public still reads it


def test_a_tenant_host_is_found_while_the_connection_is_in_another_tenant(client_for):
    """The router's cold lookup of a host reads the registry in public, whichever schema the
    previous request left the connection in."""
    from tenants.routing import host_router

    acme, globex = client_for("acme", role="viewer"), client_for("globex", role="viewer")
    assert acme.get("/api/v1/me").status_code == 200
    assert connection.schema_name == "t_acme"
    host_router.clear_local()
    assert globex.get("/api/v1/me").json()["tenant"]["slug"] == "globex"
    assert connection.schema_name == "t_globex"
