"""Impersonation for support: a single-use link valid 60 s, bound to the tenant's host, refused
without the workspace's consent; the visit shows a banner, cannot touch credentials or the danger
zone, lasts at most 30 minutes, ends with a button, and is logged on both sides."""

import time
from urllib.parse import urlsplit

import pytest
from django.db import connection

from shared_apps.accounts.models import User
from shared_apps.audit.models import Impersonation, PlatformAuditEntry
from tenant_apps.core.errors import Forbidden, InvalidInput
from tenant_apps.core.models import TenantAuditEntry
from tenant_apps.core.services.workspace import workspace_support_access_set
from tenants.impersonation import impersonation_start
from tenants.models import Domain
from tests.conftest import TenantClient

OPERATOR = "support@platform.test"


@pytest.fixture
def operator(db):
    return User.objects.create_user(email=OPERATOR, password="a-long-pass-1",
                                    is_staff=True)


def _link(operator, slug="acme", email="owner@acme.test") -> str:
    started = impersonation_start(slug=slug, user_email=email, operator=operator, scheme="http")
    connection.set_schema_to_public()
    return started.link


def _enter(link: str, host: str | None = None) -> TenantClient:
    parts = urlsplit(link)
    client = TenantClient("acme")
    client.response = client.get(parts.path, HTTP_HOST=host or parts.hostname)
    connection.set_schema_to_public()
    return client


def _tenant_entries(in_tenant, slug="acme", **filters) -> list[TenantAuditEntry]:
    with in_tenant(slug):
        return list(TenantAuditEntry.objects.filter(**filters).order_by("id"))


def test_the_link_signs_the_operator_in_as_the_member_with_a_banner_and_both_logs(
        operator, in_tenant):
    link = _link(operator)
    assert link.startswith("http://acme.localhost/support/enter/")
    start = PlatformAuditEntry.objects.get(action="impersonation.start", actor=OPERATOR)
    assert (start.actor, start.target, start.detail["user_email"]) == (
        "support@platform.test", "acme", "owner@acme.test")

    client = _enter(link)
    assert client.response.status_code == 302 and client.response["Location"] == "/"
    assert client.response.cookies["sessionid"]["max-age"] == 30 * 60
    page = client.get("/").content.decode()
    assert 'id="support-banner"' in page and "support@platform.test" in page
    assert "owner@acme.test" in page and 'action="/support/end"' in page
    # Every page of the visit carries the banner.
    assert 'id="support-banner"' in client.get("/inventory/").content.decode()

    [entered] = _tenant_entries(in_tenant, action="impersonation.start")
    assert (entered.actor, entered.impersonator) == ("owner@acme.test", "support@platform.test")
    requests = _tenant_entries(in_tenant, action="impersonation.request")
    assert [(e.target, e.impersonator, e.detail["status"]) for e in requests] == [
        ("GET /", "support@platform.test", 200),
        ("GET /inventory/", "support@platform.test", 200)]
    # Not a sign-in of the member.
    assert not _tenant_entries(in_tenant, action="auth.sign_in")


def test_the_link_works_once(operator):
    link = _link(operator)
    assert _enter(link).response.status_code == 302
    again = _enter(link)
    assert again.response.status_code == 404
    assert "invalid, was already used or has expired" in again.response.content.decode()
    assert not again.get("/").wsgi_request.user.is_authenticated


def test_the_link_expires_after_60_seconds(operator, monkeypatch):
    link = _link(operator)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61)
    assert _enter(link).response.status_code == 404
    assert Impersonation.objects.get(operator=OPERATOR).used_at is None


def test_the_link_is_bound_to_the_tenants_host(operator, tenants):
    Domain.objects.create(domain="support-alias.example.org", tenant=tenants["acme"],
                          is_primary=False, status="verified")
    link = _link(operator)
    # Another address of the same tenant, and another tenant's host: both refused.
    assert _enter(link, host="support-alias.example.org").response.status_code == 404
    assert _enter(link, host="globex.localhost").response.status_code == 404
    assert _enter(link).response.status_code == 302  # still unused: the refusals spent nothing


def test_a_forged_token_is_refused(operator):
    link = _link(operator)
    assert _enter(link[:-3] + "abc").response.status_code == 404


def test_never_while_the_owner_has_switched_support_access_off(operator, in_tenant):
    with in_tenant("acme"):
        workspace_support_access_set(enabled=False)
        assert _tenant_entries(in_tenant, action="workspace.support_access")[0].detail == {
            "enabled": False}
    with pytest.raises(Forbidden):
        _link(operator)
    connection.set_schema_to_public()
    with in_tenant("acme"):
        workspace_support_access_set(enabled=True)
    link = _link(operator)
    client = _enter(link)
    assert client.get("/").status_code == 200
    # Withdrawn during a visit: the next request ends it.
    with in_tenant("acme"):
        workspace_support_access_set(enabled=False)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/").status_code == 302
    connection.set_schema_to_public()
    end = PlatformAuditEntry.objects.get(action="impersonation.end", actor=OPERATOR)
    assert (end.actor, end.detail["reason"]) == ("support@platform.test", "support_access_off")


def test_a_link_issued_before_consent_was_withdrawn_is_refused(operator, in_tenant):
    link = _link(operator)
    with in_tenant("acme"):
        workspace_support_access_set(enabled=False)
    assert _enter(link).response.status_code == 403


def test_only_an_active_member(operator):
    with pytest.raises(InvalidInput):
        _link(operator, email="nobody@acme.test")


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/settings/api-keys/"), ("post", "/settings/api-keys/"),
    ("post", "/api/v1/api-keys"), ("get", "/api/v1/api-keys"),
    ("post", "/settings/domains/"), ("post", "/settings/support-access"),
    ("post", "/accounts/password/change/"), ("post", "/accounts/email/"),
])
def test_credentials_and_the_danger_zone_are_refused(operator, in_tenant, method, path):
    client = _enter(_link(operator))
    response = getattr(client, method)(path, {"name": "x"})
    assert response.status_code == 403, path
    with in_tenant("acme"):
        assert TenantAuditEntry.objects.filter(action="impersonation.request",
                                               target=f"{method.upper()} {path}",
                                               detail__status=403).exists()
        assert not TenantAuditEntry.objects.filter(action="api_key.create").exists()


def test_the_end_button_ends_the_visit_and_is_logged_on_both_sides(operator, in_tenant):
    client = _enter(_link(operator))
    response = client.post("/support/end")
    assert response.status_code == 200 and 'id="support-ended"' in response.content.decode()
    assert client.get("/").status_code == 302  # signed out
    connection.set_schema_to_public()
    end = PlatformAuditEntry.objects.get(action="impersonation.end", actor=OPERATOR)
    assert (end.actor, end.target, end.detail["reason"]) == (
        "support@platform.test", "acme", "ended")
    [tenant_end] = _tenant_entries(in_tenant, action="impersonation.end")
    assert tenant_end.impersonator == "support@platform.test"
    connection.set_schema_to_public()
    assert Impersonation.objects.get(operator=OPERATOR).ended_at is not None


def test_the_visit_ends_after_30_minutes(operator, monkeypatch):
    client = _enter(_link(operator))
    assert client.get("/").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 30 * 60 + 1)
    response = client.get("/")
    assert response.status_code == 302
    connection.set_schema_to_public()
    end = PlatformAuditEntry.objects.get(action="impersonation.end", actor=OPERATOR)
    assert end.detail["reason"] == "expired"


def test_an_ordinary_session_is_untouched(client_for, in_tenant):
    client = client_for("acme", role="owner")
    page = client.get("/settings/api-keys/")
    assert page.status_code == 200 and "support-banner" not in page.content.decode()
    assert not _tenant_entries(in_tenant, action="impersonation.request")


def test_the_owner_switches_support_access_in_the_settings(client_for, in_tenant):
    owner = client_for("acme", role="owner")
    assert "Switch support access off" in owner.get("/settings/").content.decode()
    assert owner.post("/settings/support-access").status_code == 302
    assert "Switch support access on" in owner.get("/settings/").content.decode()
    assert owner.post("/settings/support-access", {"enabled": "on"}).status_code == 302
    assert [e.detail["enabled"] for e in _tenant_entries(
        in_tenant, action="workspace.support_access")] == [False, True]
    assert client_for("acme", role="admin").post("/settings/support-access").status_code == 403
