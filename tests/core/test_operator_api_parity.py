"""The operator API's parity with the console and its hygiene: paginated, strictly filtered
lists, DELETE with its state rule, suspension reasons, primary domains, unknown jobs, its own
schema, and one platform audit entry per action."""

import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformAuditEntry
from tenants.models import Domain, Tenant
from tenants.routing import host_router

BASE = "/api/operator/v1"


@pytest.fixture
def operator(db):
    user = User.objects.create_user(email="ops@platform.test", password="ops-pass-123",
                                    is_staff=True)
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    return client


@pytest.fixture
def audit_since(db):
    """The platform audit entries written since the test started."""
    start = PlatformAuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return lambda: list(PlatformAuditEntry.objects.filter(id__gt=start).order_by("id"))


def test_the_list_is_paginated_like_the_tenant_api(operator):
    first = operator.get(f"{BASE}/tenants?page_size=2&ordering=slug").json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] >= 3 and len(first["results"]) == 2
    assert [t["slug"] for t in first["results"]] == ["acme", "globex"]
    second = operator.get(first["next"].replace("http://localhost", "")).json()
    assert second["results"][0]["slug"] == "initech"
    assert operator.get(f"{BASE}/tenants?page_size=500").status_code == 400


def test_the_list_filters_searches_and_orders(operator):
    from tenants.services import tenant_suspend

    tenant_suspend(slug="globex", reason="Unpaid invoice")
    suspended = operator.get(f"{BASE}/tenants?state=suspended").json()["results"]
    assert [t["slug"] for t in suspended] == ["globex"]
    assert suspended[0]["suspension_reason"] == "Unpaid invoice"
    by_owner = operator.get(f"{BASE}/tenants?search=owner@initech").json()["results"]
    assert [t["slug"] for t in by_owner] == ["initech"]
    by_domain = operator.get(f"{BASE}/tenants?search=acme.localhost").json()["results"]
    assert [t["slug"] for t in by_domain] == ["acme"]
    newest = operator.get(f"{BASE}/tenants?ordering=-slug").json()["results"]
    assert newest[0]["slug"] > newest[-1]["slug"]


@pytest.mark.parametrize("query,field", [("state=bogus", "state"), ("ordering=bogus", "ordering"),
                                         ("state=", "state"), ("page=abc", "page"),
                                         ("search=" + "x" * 201, "search")])
def test_bad_filters_are_400_naming_the_parameter(operator, query, field):
    response = operator.get(f"{BASE}/tenants?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_an_unknown_job_is_404_not_pending_forever(operator):
    response = operator.get(f"{BASE}/jobs/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "job_not_found"


def test_delete_refuses_an_active_tenant_then_deletes_a_suspended_one(operator, audit_since):
    refused = operator.delete(f"{BASE}/tenants/globex")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "tenant_active"
    assert Tenant.objects.filter(slug="globex").exists() and not audit_since()
    operator.post(f"{BASE}/tenants/globex/suspend", {"reason": "closing"}, format="json")
    assert operator.delete(f"{BASE}/tenants/globex").status_code == 204
    assert not Tenant.objects.filter(slug="globex").exists()
    assert not Domain.objects.filter(domain="globex.localhost").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = 't_globex'")
        assert cursor.fetchone() is None
    assert operator.delete(f"{BASE}/tenants/globex").status_code == 404
    assert [e.action for e in audit_since()] == ["tenant.suspend", "tenant.delete"]


def test_suspend_with_a_reason_is_shown_to_the_tenants_users(operator, client_for):
    client = client_for("initech", role="member")
    response = operator.post(f"{BASE}/tenants/initech/suspend",
                             {"reason": "Payment overdue since May"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "suspended"
    host_router.clear_local()  # the on_commit invalidation never fires in a rolled-back test
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert "Payment overdue since May" in api.json()["error"]["message"]
    page = client.get("/", HTTP_ACCEPT="text/html")
    assert page.status_code == 403 and b"Payment overdue since May" in page.content
    assert operator.post(f"{BASE}/tenants/initech/activate").json()["suspension_reason"] == ""
    too_long = operator.post(f"{BASE}/tenants/initech/suspend", {"reason": "x" * 501},
                             format="json")
    assert too_long.status_code == 400 and "reason" in too_long.json()["error"]["fields"]
    unknown = operator.post(f"{BASE}/tenants/initech/suspend", {"why": "x"}, format="json")
    assert unknown.status_code == 400


def test_domains_add_primary_and_remove(operator, audit_since):
    added = operator.post(f"{BASE}/tenants/acme/domains", {"domain": "shop.acme-corp.example"},
                          format="json")
    assert added.status_code == 201
    unverified = operator.post(f"{BASE}/tenants/acme/domains/shop.acme-corp.example/primary")
    assert unverified.status_code == 409
    assert unverified.json()["error"]["code"] == "domain_unverified"
    Domain.objects.filter(domain="shop.acme-corp.example").update(status="verified")
    primary = operator.post(f"{BASE}/tenants/acme/domains/shop.acme-corp.example/primary")
    assert primary.status_code == 200 and primary.json()["is_primary"] is True
    listed = {d["domain"]: d["is_primary"]
              for d in operator.get(f"{BASE}/tenants/acme/domains").json()}
    assert listed == {"acme.localhost": False, "shop.acme-corp.example": True}
    # The primary one cannot go, nor the platform address; the former primary can be restored.
    assert operator.delete(f"{BASE}/tenants/acme/domains/shop.acme-corp.example"
                           ).status_code == 409
    assert operator.delete(f"{BASE}/tenants/acme/domains/acme.localhost").status_code == 409
    operator.post(f"{BASE}/tenants/acme/domains/acme.localhost/primary")
    assert operator.delete(f"{BASE}/tenants/acme/domains/shop.acme-corp.example"
                           ).status_code == 204
    assert [e.action for e in audit_since()] == [
        "tenant.domain_add", "tenant.domain_primary", "tenant.domain_primary",
        "tenant.domain_remove"]


def test_each_action_leaves_exactly_one_complete_audit_entry(operator, audit_since, settings,
                                                             tmp_path):
    from tenants.archive.services import recorded_archive, tenant_archive, tenant_restore
    from tenants.provisioning import tenant_provision

    settings.TENANT_ARCHIVE_DIR = tmp_path
    actions = [
        ("tenant.suspend", lambda: operator.post(f"{BASE}/tenants/acme/suspend",
                                                 {"reason": "audit"}, format="json")),
        ("tenant.activate", lambda: operator.post(f"{BASE}/tenants/acme/activate")),
        ("tenant.archive", lambda: tenant_archive(slug="initech")),
        ("tenant.restore", lambda: tenant_restore(archive=recorded_archive(slug="initech"))),
        ("tenant.delete", lambda: operator.delete(f"{BASE}/tenants/initech")),
        ("tenant.create", lambda: tenant_provision(slug="audited", name="Audited",
                                                   owner_email="o@audited.example")),
        ("tenant.domain_add", lambda: operator.post(f"{BASE}/tenants/acme/domains",
                                                    {"domain": "a.example"}, format="json")),
        ("tenant.domain_remove", lambda: operator.delete(f"{BASE}/tenants/acme/domains/a.example")),
    ]
    for action, run in actions:
        before = len(audit_since())
        run()
        new = audit_since()[before:]
        assert [e.action for e in new] == [action], (action, new)
        entry = new[0]
        assert entry.target in ("acme", "initech", "audited") and entry.at is not None
        assert entry.actor in ("ops@platform.test", "system") and isinstance(entry.detail, dict)
    by_api = [e for e in audit_since() if e.actor == "ops@platform.test"]
    assert {e.action for e in by_api} == {"tenant.suspend", "tenant.activate", "tenant.delete",
                                         "tenant.domain_add", "tenant.domain_remove"}
    assert by_api[0].detail == {"reason": "audit", "previous_state": "active"}
    assert by_api[0].actor_id is not None


def test_the_slug_is_immutable(db):
    from tenant_apps.core.errors import Conflict

    tenant = Tenant.objects.get(slug="acme")
    tenant.slug = "acme-renamed"
    with pytest.raises(Conflict):
        tenant.save()
    tenant = Tenant.objects.get(slug="acme")
    tenant.name = "Acme Renamed"
    tenant.save()  # the name may change
    assert Tenant.objects.get(slug="acme").name == "Acme Renamed"


def test_patch_renames_but_never_changes_the_slug(operator, audit_since):
    renamed = operator.patch(f"{BASE}/tenants/acme", {"name": "Acme Ltd"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Acme Ltd"
    moved = operator.patch(f"{BASE}/tenants/acme", {"name": "Acme", "slug": "acme-new"},
                           format="json")
    assert moved.status_code == 409 and moved.json()["error"]["code"] == "slug_immutable"
    assert Tenant.objects.filter(slug="acme", name="Acme Ltd").exists()
    assert not Tenant.objects.filter(slug="acme-new").exists()
    assert operator.patch(f"{BASE}/tenants/ghost", {"name": "x"}, format="json"
                          ).status_code == 404
    assert [(e.action, e.detail) for e in audit_since()] == [
        ("tenant.rename", {"from": "Acme", "to": "Acme Ltd"})]


def test_the_api_has_its_own_schema_and_docs(operator):
    schema = operator.get(f"{BASE}/schema/?format=json")
    assert schema.status_code == 200, schema.content[:300]
    body = schema.json()
    assert body["info"]["title"] == "SaaS platform operator API"
    paths = set(body["paths"])
    assert "/api/operator/v1/tenants/{slug}" in paths
    assert "delete" in body["paths"]["/api/operator/v1/tenants/{slug}"]
    assert "/api/operator/v1/tenants/{slug}/domains/{domain}/primary" in paths
    assert not any(p.startswith("/api/v1/") for p in paths)
    assert operator.get(f"{BASE}/docs/").status_code == 200
    assert APIClient(HTTP_HOST="localhost").get(f"{BASE}/schema/").status_code in (401, 403)


def test_last_activity_is_written_at_most_once_per_interval(client_for, settings):
    from django.test.utils import CaptureQueriesContext

    from tenants.activity import activity_forget

    activity_forget()
    Tenant.objects.filter(slug="acme").update(last_activity_at=None)
    client = client_for("acme", role="viewer")
    client.get("/api/v1/me")
    connection.set_schema_to_public()
    first = Tenant.objects.get(slug="acme").last_activity_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/me")
    assert not any("last_activity_at" in q["sql"] for q in queries.captured_queries)
    connection.set_schema_to_public()
    assert Tenant.objects.get(slug="acme").last_activity_at == first
