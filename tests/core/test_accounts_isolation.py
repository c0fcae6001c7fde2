"""Users, sessions and API keys belong to one tenant's schema and mean nothing elsewhere."""

from django.db import connection
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User


def _login(client, slug: str, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password},
                       HTTP_HOST=f"{slug}.localhost")


def test_login_page_and_login_flow(client, db):
    page = client.get("/accounts/login/", HTTP_HOST="acme.localhost")
    assert page.status_code == 200 and b"Sign in to Acme" in page.content
    response = _login(client, "acme", "owner@acme.test", "owner-pass-123")
    assert response.status_code == 302
    me = client.get("/api/v1/me", HTTP_HOST="acme.localhost")
    assert me.status_code == 200
    assert me.json() == {"user": {"id": me.json()["user"]["id"], "email": "owner@acme.test",
                                  "full_name": ""},
                         "tenant": {"slug": "acme", "name": "Acme"}, "role": "owner"}
    home = client.get("/", HTTP_HOST="acme.localhost")
    assert home.status_code == 200 and b"owner@acme.test" in home.content


def test_me_is_401_when_anonymous(client, db):
    response = client.get("/api/v1/me", HTTP_HOST="acme.localhost")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_wrong_password_is_refused(client, db):
    response = _login(client, "acme", "owner@acme.test", "wrong")
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/api/v1/me", HTTP_HOST="acme.localhost").status_code == 401


def test_a_user_of_tenant_a_cannot_log_in_on_tenant_b(client, db):
    response = _login(client, "globex", "owner@acme.test", "owner-pass-123")
    assert response.status_code == 200
    assert b"email address and/or password you specified are not correct" in response.content
    assert client.get("/api/v1/me", HTTP_HOST="globex.localhost").status_code == 401


def test_session_cookie_of_tenant_a_is_anonymous_on_tenant_b(client, db):
    assert _login(client, "acme", "owner@acme.test", "owner-pass-123").status_code == 302
    cookie = client.cookies["sessionid"].value
    # A browser would never send acme's host-only cookie to globex; send it anyway, as an
    # attacker would: globex's schema has no such session.
    from django.test import Client

    attacker = Client()
    attacker.cookies["sessionid"] = cookie
    assert attacker.get("/api/v1/me", HTTP_HOST="acme.localhost").status_code == 200
    assert attacker.get("/api/v1/me", HTTP_HOST="globex.localhost").status_code == 401
    # globex answered by expiring the unknown cookie; acme's session itself is untouched.
    attacker.cookies["sessionid"] = cookie
    assert attacker.get("/api/v1/me", HTTP_HOST="acme.localhost").status_code == 200


def test_session_cookie_is_host_only_and_http_only(client, db):
    _login(client, "acme", "owner@acme.test", "owner-pass-123")
    morsel = client.cookies["sessionid"]
    assert morsel["domain"] == ""  # host-only: never sent to another subdomain
    assert morsel["httponly"]


def test_the_same_email_in_two_tenants_is_two_accounts(db, make_user):
    make_user("acme", role="viewer", email="pat@example.com", password="acme-pass-123")
    make_user("globex", role="admin", email="pat@example.com", password="globex-pass-123")
    with schema_context("t_acme"):
        assert User.objects.get(email="pat@example.com").role == "viewer"
    with schema_context("t_globex"):
        pat = User.objects.get(email="pat@example.com")
        assert pat.role == "admin" and pat.check_password("globex-pass-123")
    connection.set_schema_to_public()
    assert not User.objects.filter(email="pat@example.com").exists()  # not an operator


def test_api_key_of_tenant_a_is_401_on_tenant_b(api_key_for):
    client, raw_key = api_key_for("acme", scope="read")
    assert client.get("/api/v1/me").status_code == 200
    from tests.conftest import TenantClient

    elsewhere = TenantClient("globex", HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    response = elsewhere.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_operator_console_is_only_on_the_public_host(client, db):
    assert client.get("/console/", HTTP_HOST="acme.localhost").status_code == 404
    assert client.get("/console/", HTTP_HOST="localhost").status_code == 302
