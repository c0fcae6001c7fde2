"""The console's Tenants section: the list (search, filter, sort, pages), a tenant's page, and
every action on it, each through the services (so each leaves one platform audit entry)."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformAuditEntry
from tenants.models import Domain, Tenant


@pytest.fixture
def console(db):
    user = User.objects.create_user(email="ops@platform.test", password="a-long-pass-123",
                                    is_staff=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


@pytest.fixture
def audit_since(db):
    start = PlatformAuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return lambda: [(e.action, e.target, e.actor)
                    for e in PlatformAuditEntry.objects.filter(id__gt=start).order_by("id")]


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_every_tenant_page_is_for_operators_only(db):
    member = User.objects.create_user(email="x@platform.test", password="a-long-pass-123")
    client = Client(HTTP_HOST="localhost")
    for url in ("/console/tenants/", "/console/tenants/acme/", "/console/tenants/_new/"):
        assert client.get(url).status_code == 302  # to sign-in
    client.force_login(member)
    for url in ("/console/tenants/", "/console/tenants/acme/", "/console/tenants/_new/"):
        assert client.get(url).status_code == 403
    assert client.post("/console/tenants/acme/suspend/").status_code == 403
    assert Tenant.objects.get(slug="acme").state == "active"


def test_the_list_shows_state_owner_and_activity_and_is_in_the_nav(console):
    page = console.get("/console/tenants/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'aria-current="page">Tenants' in body
    for slug in ("acme", "globex", "initech"):
        assert f"/console/tenants/{slug}/" in body
    assert "owner@acme.test" in body and "Last activity" in body


def test_the_list_shows_collected_usage_without_entering_the_schemas(console):
    """Usage comes from the collector's latest row (one query for the page), not from counting
    each tenant's tables: the query count does not grow with the tenants listed."""
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants.plan_models import TenantUsage

    acme = Tenant.objects.get(slug="acme")
    TenantUsage.objects.create(tenant=acme, day=dt.date(2026, 1, 1), members=9,
                               rows={"inventory.products": 1})
    TenantUsage.objects.create(tenant=acme, day=dt.date(2026, 1, 2), members=3,
                               rows={"inventory.products": 1000, "attendance.records": 16})
    with CaptureQueriesContext(connection) as queries:
        body = console.get("/console/tenants/?search=acme").content.decode()
    assert "3 members · 1,016 rows" in body  # the latest day's row
    assert "9 members" not in body
    assert not any("inventory_product" in q["sql"] for q in queries.captured_queries)
    counted = len(queries)
    with CaptureQueriesContext(connection) as queries:
        console.get("/console/tenants/")
    assert len(queries) <= counted + 1  # three tenants cost what one did


def test_the_list_searches_filters_sorts_and_pages(console):
    from tenants.services import tenant_suspend

    tenant_suspend(slug="globex", reason="test")
    by_owner = console.get("/console/tenants/?search=owner@initech").content.decode()
    assert "/console/tenants/initech/" in by_owner and "/console/tenants/acme/" not in by_owner
    suspended = console.get("/console/tenants/?state=suspended").content.decode()
    assert "/console/tenants/globex/" in suspended and "/console/tenants/acme/" not in suspended
    descending = console.get("/console/tenants/?sort=-slug").content.decode()
    assert descending.index("/console/tenants/initech/") < descending.index(
        "/console/tenants/acme/")
    bogus = console.get("/console/tenants/?state=bogus")
    assert bogus.status_code == 400 and b"state:" in bogus.content
    partial = console.get("/console/tenants/?search=acme", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"/console/tenants/acme/" in partial.content


def test_the_list_shows_and_filters_by_plan(console):
    from tenants.plans.services import tenant_plan_change

    tenant_plan_change(slug="globex", plan="business")
    on_business = console.get("/console/tenants/?plan=business").content.decode()
    assert "/console/tenants/globex/" in on_business
    assert "/console/tenants/acme/" not in on_business and "Business" in on_business
    assert console.get("/console/tenants/?plan=gold").status_code == 400
    api = console.get("/api/operator/v1/tenants?plan=business").json()
    assert [t["slug"] for t in api["results"]] == ["globex"]


def test_the_list_pages_by_25(console, monkeypatch):
    from shared_apps.console import tenant_pages

    monkeypatch.setattr(tenant_pages, "PAGE_SIZE", 2)
    first = console.get("/console/tenants/?sort=slug").content.decode()
    assert "/console/tenants/globex/" in first and "/console/tenants/initech/" not in first
    second = console.get("/console/tenants/?sort=slug&page=2").content.decode()
    assert "/console/tenants/initech/" in second and "page 2 of" in second


def test_the_tenant_page_shows_domains_usage_jobs_and_panels(console, monkeypatch):
    from shared_apps.console import panels

    monkeypatch.setattr(panels, "TENANT_PANELS", ["tests.console.test_tenant_pages.a_panel"])
    page = console.get("/console/tenants/acme/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "acme.localhost" in body and "t_acme" in body and "owner@acme.test" in body
    assert 'id="usage"' in body and 'id="jobs"' in body
    assert "<p>panel for acme</p>" in body
    assert console.get("/console/tenants/ghost/").status_code == 404


def a_panel(request, tenant) -> str:
    return f"<p>panel for {tenant.slug}</p>"


def test_suspend_with_reason_then_activate(console, audit_since):
    response = console.post("/console/tenants/acme/suspend/", {"reason": "Unpaid since May"})
    assert response.status_code == 302 and response["Location"] == "/console/tenants/acme/"
    tenant = Tenant.objects.get(slug="acme")
    assert tenant.state == "suspended" and tenant.suspension_reason == "Unpaid since May"
    assert "Unpaid since May" in console.get("/console/tenants/acme/").content.decode()
    console.post("/console/tenants/acme/activate/")
    assert Tenant.objects.get(slug="acme").state == "active"
    assert audit_since() == [("tenant.suspend", "acme", "ops@platform.test"),
                             ("tenant.activate", "acme", "ops@platform.test")]
    console.post("/console/tenants/acme/activate/")  # already active: nothing to record
    assert len(audit_since()) == 2
    archived = Tenant.objects.get(slug="acme")
    archived.state = "archived"
    archived.save()
    refused = console.post("/console/tenants/acme/activate/")
    assert any("only a suspended tenant" in m for m in _said(refused))


def test_delete_needs_the_slug_typed_and_a_tenant_that_is_not_active(console, audit_since):
    active = console.post("/console/tenants/globex/delete/", {"confirm": "globex"})
    assert any("suspend or archive it" in m for m in _said(active))
    assert Tenant.objects.filter(slug="globex").exists()
    console.post("/console/tenants/globex/suspend/", {"reason": ""})
    wrong = console.post("/console/tenants/globex/delete/", {"confirm": "globe"})
    assert any("type the tenant's slug" in m for m in _said(wrong))
    assert Tenant.objects.filter(slug="globex").exists()
    done = console.post("/console/tenants/globex/delete/", {"confirm": "globex"})
    assert done["Location"] == "/console/tenants/"
    assert not Tenant.objects.filter(slug="globex").exists()
    assert [a for a, _t, _u in audit_since()] == ["tenant.suspend", "tenant.delete"]


def test_archive_needs_the_slug_typed(console, audit_since):
    wrong = console.post("/console/tenants/initech/archive/", {"confirm": "nope"})
    assert wrong["Location"] == "/console/tenants/initech/"
    assert any("type the tenant's slug" in m for m in _said(wrong))
    assert Tenant.objects.get(slug="initech").state == "active" and audit_since() == []


def test_restore_is_refused_for_a_tenant_that_is_not_archived(console):
    response = console.post("/console/tenants/acme/restore/")
    assert any("only an archived tenant" in m for m in _said(response))


def test_domains_add_primary_remove(console, audit_since):
    console.post("/console/tenants/acme/domains/", {"domain": "Shop.Acme-Corp.example"})
    assert Domain.objects.filter(domain="shop.acme-corp.example", tenant__slug="acme").exists()
    unverified = console.post("/console/tenants/acme/domains/shop.acme-corp.example/primary/")
    assert any("not verified" in m for m in _said(unverified))
    Domain.objects.filter(domain="shop.acme-corp.example").update(status="verified")
    console.post("/console/tenants/acme/domains/shop.acme-corp.example/primary/")
    assert Domain.objects.get(domain="shop.acme-corp.example").is_primary
    assert not Domain.objects.get(domain="acme.localhost").is_primary
    platform = console.post("/console/tenants/acme/domains/acme.localhost/remove/")
    assert any("platform address" in m for m in _said(platform))
    taken = console.post("/console/tenants/globex/domains/",
                         {"domain": "www.shop.acme-corp.example"})
    assert any("another tenant" in m for m in _said(taken))
    bad = console.post("/console/tenants/acme/domains/", {"domain": "not a domain"})
    assert any("not a valid host name" in m for m in _said(bad))
    assert [a for a, _t, _u in audit_since()] == ["tenant.domain_add", "tenant.domain_primary"]


def test_the_create_form_refuses_bad_input_and_starts_nothing(console):
    page = console.get("/console/tenants/_new/")
    assert page.status_code == 200 and b"Owner&#x27;s e-mail" in page.content
    taken = console.post("/console/tenants/_new/", {"slug": "acme", "name": "A",
                                                    "owner_email": "o@a.example"})
    assert taken.status_code == 400 and b"This slug is taken." in taken.content
    reserved = console.post("/console/tenants/_new/", {"slug": "www", "name": "W",
                                                       "owner_email": "o@w.example",
                                                       "domains": "acme.localhost"})
    assert reserved.status_code == 400 and b"reserved" in reserved.content
    assert not Tenant.objects.filter(slug="www").exists()


def test_an_unknown_job_page_is_404(console):
    assert console.get("/console/tenants/_jobs/not-a-job/").status_code == 404


def test_create_runs_the_job_and_shows_progress_then_the_invitation(celery_worker):
    """The whole flow with a real worker: the form queues the job, the job page polls it, the
    result shows the owner's invitation link and never a password."""
    import time

    from tenants.services import tenant_delete

    user = User.objects.create_user(email="ops-create@platform.test",
                                    password="a-long-pass-123", is_staff=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    try:
        response = client.post("/console/tenants/_new/", {
            "slug": "from-console", "name": "From Console", "owner_email": "o@console.example"})
        assert response.status_code == 302, response.content
        job_url = response["Location"]
        assert job_url.startswith("/console/tenants/_jobs/")
        first = client.get(job_url).content.decode()
        assert 'hx-trigger="every 1s"' in first or "succeeded" in first
        deadline = time.monotonic() + 60
        partial = client.get(job_url, HTTP_HX_REQUEST="true").content.decode()
        while "succeeded" not in partial and "failed" not in partial \
                and time.monotonic() < deadline:
            time.sleep(0.2)
            partial = client.get(job_url, HTTP_HX_REQUEST="true").content.decode()
        assert "succeeded" in partial, partial
        assert "/invitations/" in partial and "password" not in partial.lower().replace(
            "set their own password", "")
        assert 'hx-trigger' not in partial  # polling stops when done
        assert Tenant.objects.get(slug="from-console").state == "active"
        detail = client.get("/console/tenants/from-console/").content.decode()
        assert "Provision" in detail  # the job is listed on the tenant's page
    finally:
        if Tenant.objects.filter(slug="from-console").exists():
            tenant_delete(slug="from-console", force=True)
        User.objects.filter(email="ops-create@platform.test").delete()
