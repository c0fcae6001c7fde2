"""Each audited action leaves exactly one entry with actor, target, time and detail; the logs are
viewable, filterable and exportable (formula-safe CSV) by the right people only, and one tenant's
log never shows in another's."""

import csv
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformAuditEntry
from shared_apps.audit.services import platform_audit
from tenant_apps.core.models import TenantAuditEntry
from tenant_apps.core.services.audit import tenant_audit
from tenant_apps.core.services.invitations import invitation_accept, invitation_create
from tenant_apps.inventory.services.catalog import category_create
from tests.conftest import TenantClient


def _one(in_tenant, action: str, slug: str = "acme") -> TenantAuditEntry:
    connection.set_schema_to_public()
    with in_tenant(slug):
        [entry] = TenantAuditEntry.objects.filter(action=action)
        assert entry.at is not None
        return entry


def test_api_key_creation_and_revocation(client_for, in_tenant):
    client = client_for("acme", role="owner")
    created = client.post("/api/v1/api-keys", {"name": "ci", "scope": "read"}, format="json")
    assert created.status_code == 201
    entry = _one(in_tenant, "api_key.create")
    assert (entry.actor, entry.target) == (client.user.email, f"ci (sk_{created.json()['prefix']})")
    assert entry.detail["scope"] == "read"
    assert client.post(f"/api/v1/api-keys/{created.json()['id']}/revoke").status_code == 200
    assert client.post(f"/api/v1/api-keys/{created.json()['id']}/revoke").status_code == 200
    assert _one(in_tenant, "api_key.revoke").actor == client.user.email  # once, not twice


def test_settings_change_records_old_and_new(client_for, in_tenant):
    client = client_for("acme", role="admin")
    response = client.post("/settings/", {"display_name": "Acme Ltd", "time_zone": "Europe/Paris"})
    assert response.status_code == 302
    entry = _one(in_tenant, "workspace.settings_change")
    assert entry.detail == {"display_name": ["", "Acme Ltd"], "time_zone": ["UTC", "Europe/Paris"]}


def test_deletes_through_the_api(client_for, in_tenant):
    with in_tenant("acme"):
        category = category_create(name="Obsolete")
    client = client_for("acme", role="admin")
    assert client.delete(f"/api/v1/inventory/categories/{category.pk}").status_code == 204
    entry = _one(in_tenant, "category.delete")
    assert (entry.actor, entry.target, entry.detail) == (
        client.user.email, "Obsolete", {"id": category.pk, "model": "inventory.Category"})


def test_csv_imports(client_for, in_tenant, django_capture_on_commit_callbacks):
    client = client_for("acme", role="admin")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/api/v1/inventory/imports?kind=products",
                               data=b"SKU,Name,Price\nab-1,A,1.50\n", content_type="text/csv")
    assert response.status_code == 202
    entry = _one(in_tenant, "inventory.import")
    assert (entry.actor, entry.detail["job_id"], entry.detail["kind"]) == (
        client.user.email, response.json()["id"], "inventory.import_products")


def test_sign_ins_and_failures_on_a_tenant_host(make_user, in_tenant):
    user = make_user("acme", role="member", password="right-pass-123")
    client = TenantClient("acme")
    assert client.post("/accounts/login/", {"login": user.email,
                                            "password": "wrong"}).status_code == 200
    failed = _one(in_tenant, "auth.sign_in_failed")
    assert (failed.actor, failed.target) == ("anonymous", user.email)
    assert client.post("/accounts/login/", {"login": user.email,
                                            "password": "right-pass-123"}).status_code == 302
    signed_in = _one(in_tenant, "auth.sign_in")
    assert (signed_in.actor, signed_in.actor_id) == (user.email, user.pk)
    assert not PlatformAuditEntry.objects.filter(target=user.email).exists()


def test_operator_sign_ins_go_to_the_platform_log(db):
    User.objects.create_user(email="ops@platform.test", password="a-long-pass-123",
                             is_staff=True)
    client = Client(HTTP_HOST="localhost")
    client.post("/accounts/login/", {"login": "ops@platform.test", "password": "nope"})
    client.post("/accounts/login/", {"login": "ops@platform.test",
                                     "password": "a-long-pass-123"})
    # (Filtered: tests with committed data may leave entries that cannot be deleted.)
    assert list(PlatformAuditEntry.objects.filter(target="ops@platform.test").order_by("id")
                .values_list("action", "target")) == [
        ("operator.sign_in_failed", "ops@platform.test"),
        ("operator.sign_in", "ops@platform.test")]


def test_invitations_created_and_accepted(db, in_tenant):
    with in_tenant("acme"):
        _invitation, token = invitation_create(email="New@acme.test", role="member")
        invitation_accept(raw_token=token, password="a-strong-pass-9")
    created = _one(in_tenant, "invitation.create")
    accepted = _one(in_tenant, "invitation.accept")
    assert (created.target, created.detail["role"]) == ("new@acme.test", "member")
    assert (accepted.actor, accepted.target) == ("new@acme.test", "new@acme.test")


# -- viewing -------------------------------------------------------------------------------


@pytest.fixture
def logs(in_tenant):
    with in_tenant("acme"):
        tenant_audit("api_key.create", target="=HYPERLINK(\"http://x\")", detail={"n": 1})
        tenant_audit("workspace.settings_change", target="workspace")
    with in_tenant("globex"):
        tenant_audit("api_key.create", target="globex-secret-key")
    connection.set_schema_to_public()


def test_owners_and_admins_read_their_log_filtered_and_members_cannot(client_for, logs):
    admin = client_for("acme", role="admin")
    body = admin.get("/api/v1/audit-log", {"action": "api_key."}).json()
    assert [r["action"] for r in body["results"]] == ["api_key.create"]
    assert "globex-secret-key" not in str(admin.get("/api/v1/audit-log").json())
    for bad in ({"since": "not-a-date"}, {"until": "2026-13-45"}, {"until": "9999-12-31"},
                {"actor": "a\x00b"}, {"target": "x" * 300}):
        response = admin.get("/api/v1/audit-log", bad)
        assert response.status_code == 400 and set(response.json()["error"]["fields"]) == set(
            bad), bad
    assert admin.get("/api/v1/audit-log", {"since": "2000-01-01", "until": "2999-01-01",
                                           "action": "api_key."}).json()["count"] == 1
    assert admin.get("/api/v1/audit-log", {"until": "2000-01-01"}).json()["count"] == 0
    assert admin.post("/api/v1/audit-log", {}, format="json").status_code in (403, 405)
    assert client_for("acme", role="member").get("/api/v1/audit-log").status_code == 403
    page = admin.get("/settings/audit-log/", {"target": "workspace"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "workspace.settings_change" in html and "HYPERLINK" not in html
    assert client_for("acme", role="member").get("/settings/audit-log/").status_code == 403
    assert "globex-secret-key" not in client_for("acme", role="owner").get(
        "/settings/audit-log/").content.decode()


def test_the_csv_export_is_formula_safe(client_for, logs):
    response = client_for("acme", role="owner").get("/settings/audit-log/",
                                                     {"format": "csv", "action": "api_key."})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["at", "actor", "impersonator", "action", "target", "detail", "ip"]
    assert [r[4] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")"]


@pytest.fixture
def operator_client(db):
    operator = User.objects.create_user(email="ops@platform.test", password="a-long-pass-1",
                                        is_staff=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)
    return client


def test_operators_see_the_platform_log_and_a_tenants_in_the_console(operator_client, logs):
    platform_audit("tenant.suspend", target="acme", detail={"reason": "unpaid"})
    platform_audit("tenant.suspend", target="globex")
    page = operator_client.get("/console/audit/", {"target": "acme"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "tenant.suspend" in html and 'href="/console/audit/"' in html
    assert '<td data-label="Target">acme</td>' in html
    assert '<td data-label="Target">globex</td>' not in html
    exported = operator_client.get("/console/audit/", {"format": "csv",
                                                        "action": "tenant.suspend"})
    lines = b"".join(exported.streaming_content).decode().splitlines()
    assert sum(",acme," in line or ",globex," in line for line in lines[1:]) == 2
    tenant_page = operator_client.get("/console/audit/tenants/acme/")
    text = tenant_page.content.decode()
    assert tenant_page.status_code == 200 and "workspace.settings_change" in text
    assert "globex-secret-key" not in text and 'id="support-users"' in text
    csv_text = operator_client.get("/console/audit/tenants/acme/", {"format": "csv"})
    assert "'=HYPERLINK" in b"".join(csv_text.streaming_content).decode()
    assert operator_client.get("/console/audit/tenants/nope/").status_code == 404
    assert Client(HTTP_HOST="localhost").get("/console/audit/").status_code == 302


def test_the_tenant_page_panels(operator_client, logs, tenants, rf):
    from django.urls import set_urlconf

    from shared_apps.console.panels import tenant_panels

    platform_audit("tenant.activate", target="acme")
    request = rf.get("/console/tenants/acme/", HTTP_HOST="localhost")
    request.user = User.objects.get(email="ops@platform.test")
    set_urlconf("saas_platform.urls_public")  # as on the public host
    try:
        html = "".join(tenant_panels(request, tenants["acme"]))
    finally:
        set_urlconf(None)
    assert 'id="audit-trail"' in html and "tenant.activate" in html
    assert "workspace.settings_change" in html and "globex-secret-key" not in html
    assert "View as owner@acme.test" in html


def test_operator_api_lists_and_filters_both_logs(operator_client, logs):
    platform_audit("tenant.suspend", target="acme")
    body = operator_client.get("/api/operator/v1/audit", {"action": "tenant.suspend",
                                                          "target": "acme"}).json()
    assert body["count"] == 1 and body["results"][0]["target"] == "acme"
    assert operator_client.get("/api/operator/v1/audit", {"since": "x"}).status_code == 400
    tenant_log = operator_client.get("/api/operator/v1/tenants/globex/audit").json()
    assert [r["target"] for r in tenant_log["results"]] == ["globex-secret-key"]
    assert operator_client.get("/api/operator/v1/tenants/nope/audit").status_code == 404
    link = operator_client.post("/api/operator/v1/tenants/acme/impersonations",
                                {"user_email": "owner@acme.test"},
                                content_type="application/json")
    assert link.status_code == 201
    assert link.json()["link"].startswith("http://acme.localhost/support/enter/")
    assert operator_client.post("/api/operator/v1/tenants/acme/impersonations", {},
                                content_type="application/json").status_code == 400
    member = Client(HTTP_HOST="localhost")
    member.force_login(User.objects.create_user(email="m@platform.test", password="x-pass-123"))
    assert member.get("/api/operator/v1/audit").status_code == 403


def test_cli_audit_and_impersonate(db, logs, capsys):
    platform_audit("tenant.suspend", target="acme")
    call_command("tenant", "audit", "--action", "tenant.suspend", "--target", "acme")
    assert "tenant.suspend acme" in capsys.readouterr().out
    call_command("tenant", "audit", "--tenant", "acme", "--csv")
    out = capsys.readouterr().out
    assert out.startswith("at,actor,") and "'=HYPERLINK" in out and "globex" not in out
    call_command("tenant", "impersonate", "acme", "owner@acme.test", "--scheme", "http",
                 "--port", "8000")
    link = capsys.readouterr().out.strip()
    assert link.startswith("http://acme.localhost:8000/support/enter/")
    entry = PlatformAuditEntry.objects.filter(action="impersonation.start").latest("id")
    assert entry.actor.startswith("cli:") and entry.detail["user_email"] == "owner@acme.test"
