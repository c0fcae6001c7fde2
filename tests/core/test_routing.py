"""Host routing: which host reaches which schema, and what unknown/suspended hosts get."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenants.models import Domain, Tenant
from tenants.routing import HostRouter, host_router
from tenants.services import tenant_suspend


@pytest.mark.parametrize("host", ["localhost", "www.localhost"])
def test_public_hosts_serve_the_landing_page_and_console(client, db, host):
    response = client.get("/", HTTP_HOST=host)
    assert response.status_code == 200
    assert b"Find my workspace" in response.content
    assert client.get("/console/", HTTP_HOST=host).status_code == 302  # to sign-in


def test_public_host_has_no_tenant_api(client, db):
    assert client.get("/api/v1/me", HTTP_HOST="localhost").status_code == 404


def test_tenant_host_serves_that_tenant(client_for):
    client = client_for("globex", role="admin")
    body = client.get("/api/v1/me").json()
    assert body["tenant"] == {"slug": "globex", "name": "Globex"}
    assert body["role"] == "admin"


@pytest.mark.parametrize("host", ["nobody.localhost", "example.org", "acme.localhost.evil.com"])
def test_unknown_host_is_404_never_the_public_site(client, db, host):
    html = client.get("/", HTTP_HOST=host)
    assert html.status_code == 404
    assert b"One PostgreSQL schema" not in html.content
    assert b"tenant_not_found" in html.content
    api = client.get("/api/v1/me", HTTP_HOST=host)
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "tenant_not_found"


def test_malformed_host_header_is_404(client, db):
    assert client.get("/", HTTP_HOST="bad host!").status_code == 404


def test_custom_domain_reaches_its_tenant(db, tenants, client_for):
    Domain.objects.create(domain="inventory.acme-corp.com", tenant=tenants["acme"],
                          is_primary=False, status="verified")
    client = client_for("acme", role="viewer")
    response = client.get("/api/v1/me", HTTP_HOST="inventory.acme-corp.com")
    # (Django's test client sends its cookies to every host; a browser would not.)
    assert response.status_code == 200
    assert response.json()["tenant"]["slug"] == "acme"
    response = client.get("/healthz", HTTP_HOST="www.inventory.acme-corp.com")
    assert response.status_code == 200


def test_suspended_tenant_answers_403_with_code(client_for, tenants):
    client = client_for("initech", role="owner")
    tenant_suspend(slug="initech")
    host_router.clear_local()  # the on_commit invalidation never fires in a rolled-back test
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "tenant_suspended"
    page = client.get("/", HTTP_ACCEPT="text/html")
    assert page.status_code == 403
    assert b"suspended" in page.content


def test_warm_routed_request_runs_no_routing_query(client_for):
    client = client_for("acme", role="viewer")
    client.get("/api/v1/me")  # warm: routes cached, search_path set on this connection
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/me")
    assert response.status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    # What remains is the view's own work: the session and the user.
    assert not any("tenants_domain" in s or "tenants_tenant" in s for s in sql), sql
    assert not any(s.upper().startswith("SET SEARCH_PATH") for s in sql), sql
    assert len(sql) == 2, sql


def test_switching_tenant_sets_search_path_once(client_for):
    acme, globex = client_for("acme", role="viewer"), client_for("globex", role="viewer")
    acme.get("/api/v1/me")
    with CaptureQueriesContext(connection) as queries:
        globex.get("/api/v1/me")
        globex.get("/api/v1/me")
    sets = [q["sql"] for q in queries.captured_queries if q["sql"].upper().startswith("SET")]
    assert len(sets) == 1 and "t_globex" in sets[0]


def test_search_path_never_leaks_between_requests_on_one_connection(client_for, make_user,
                                                                     in_tenant):
    """Alternate tenants (and the public host, and an unknown host) on the same connection:
    every request must see only its own tenant's rows."""
    clients = {slug: client_for(slug, role="viewer") for slug in ("acme", "globex", "initech")}
    expected = {}
    for slug in clients:
        with in_tenant(slug):
            from shared_apps.accounts.models import User

            expected[slug] = User.objects.count()
    sequence = ["acme", "globex", "public", "acme", "unknown", "initech", "initech", "globex"]
    for step in sequence:
        if step == "public":
            assert clients["acme"].get("/healthz", HTTP_HOST="localhost").status_code == 200
            assert connection.schema_name == "public"
            continue
        if step == "unknown":
            assert clients["acme"].get("/", HTTP_HOST="ghost.localhost").status_code == 404
            assert connection.schema_name == "public"
            continue
        response = clients[step].get("/api/v1/me")
        assert response.json()["tenant"]["slug"] == step
        # The connection is left in the tenant's schema; what it sees is that tenant's users.
        with connection.cursor() as cursor:
            # Two queries: on Citus, a query that reads a tenant table runs on the worker,
            # current_schema() and all, where the session's search_path is not set.
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM accounts_user")
            users = cursor.fetchone()[0]
        assert schema == f"t_{step}"
        assert users == expected[step]


def test_custom_domain_is_an_allowed_host_only_once_registered(db, tenants, client):
    from django.conf import settings

    assert "shop.globex.example" not in list(settings.ALLOWED_HOSTS)
    Domain.objects.create(domain="shop.globex.example", tenant=tenants["globex"],
                          is_primary=False, status="verified")
    response = client.get("/accounts/login/", HTTP_HOST="shop.globex.example")
    assert response.status_code == 200  # no DisallowedHost (400) from CSRF/common middleware
    assert "shop.globex.example" in list(settings.ALLOWED_HOSTS)


def test_routing_change_reaches_another_process_within_the_check_interval(
        committed_db, scratch_tenant):
    """Two routers stand for two web processes sharing Redis."""
    import time

    tenant = scratch_tenant()
    other_process = HostRouter(check_seconds=0.2)
    host = f"{tenant.slug}.localhost"
    assert other_process.resolve(host).tenant.state == "active"

    tenant_suspend(slug=tenant.slug)  # commits; on_commit publishes the change
    # Until the interval passes the other process may still serve its cached route...
    deadline = time.monotonic() + 1.0
    state = other_process.resolve(host).tenant.state
    while state != "suspended" and time.monotonic() < deadline:
        time.sleep(0.05)
        state = other_process.resolve(host).tenant.state
    # ...but within a second it agrees.
    assert state == "suspended"
    assert Tenant.objects.get(slug=tenant.slug).state == "suspended"


def test_deleted_domain_stops_routing_after_commit(committed_db, scratch_tenant):
    tenant = scratch_tenant()
    Domain.objects.create(domain="old.scratch.example", tenant=tenant, is_primary=False,
                          status="verified")
    router = HostRouter(check_seconds=0)
    assert router.resolve("old.scratch.example").tenant is not None
    Domain.objects.filter(domain="old.scratch.example").delete()
    assert not router.resolve("old.scratch.example").found


def test_router_caches_unknown_hosts_too(db):
    """A flood of requests for a bad host must not become a flood of queries."""
    router = HostRouter(check_seconds=3600)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert not router.resolve("nope.localhost").found
    lookups = [q for q in queries.captured_queries if "tenants_domain" in q["sql"]]
    assert len(lookups) == 1


def test_tenant_in_provisioning_is_503(db, tenants, client):
    with schema_context("public"):
        Tenant.objects.filter(slug="initech").update(state="provisioning")
    response = client.get("/api/v1/me", HTTP_HOST="initech.localhost")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "tenant_provisioning"


BAD_KEY = {"HTTP_AUTHORIZATION": "Api-Key sk_nosuchkey.secret"}  # one query in the schema, 401


def _request(client, host: str):
    """A request as a server handles it: Django's test client leaves out request_started's
    close_old_connections, which is what arms the per-request health check."""
    from django.db import close_old_connections

    close_old_connections()
    return client.get("/api/v1/me", HTTP_HOST=host, **BAD_KEY)


def test_a_tenant_switch_on_a_reused_connection_checks_its_health_with_the_set(
        committed_db, client, monkeypatch):
    """Django's health check (SELECT 1) would add a round trip to the switch's SET; the SET
    stands in for it. A request that stays on its tenant keeps Django's own check."""
    checks: list[int] = []
    real_is_usable = connection.is_usable
    from tenants import middleware

    # Warm routes that stay warm, as in a web process between routing changes: the lookup
    # itself runs no query, so what is counted is the request's own.
    monkeypatch.setattr(middleware, "host_router", HostRouter(check_seconds=3600))
    assert _request(client, "globex.localhost").status_code == 401
    assert _request(client, "acme.localhost").status_code == 401
    assert connection.connection is not None  # persistent (CONN_MAX_AGE): reused below
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or real_is_usable())

    checks.clear()
    assert _request(client, "globex.localhost").status_code == 401
    assert checks == []
    assert connection.health_check_done  # the SET counted as this request's check
    assert _request(client, "globex.localhost").status_code == 401
    assert checks == [1]


def test_a_connection_that_died_between_requests_is_replaced_on_a_tenant_switch(
        committed_db, client):
    from django.db import connections

    assert _request(client, "acme.localhost").status_code == 401
    dead_pid = connection.connection.info.backend_pid
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [dead_pid])
    finally:
        killer.close()

    response = _request(client, "globex.localhost")
    assert response.status_code == 401, response.content
    assert connection.connection.info.backend_pid != dead_pid
