"""Sign-in throttles (per account and per address, per tenant), the workspace's mandatory
two-factor, and operators signing in on the public host."""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.accounts.mfa import user_has_mfa
from shared_apps.accounts.models import User
from tenant_apps.core.models import WorkspaceSettings
from tests.accounts.helpers import browser_client, enrol_totp, fresh_ip, sign_in, totp_code
from tests.conftest import TenantClient

TOO_MANY = b"Too many failed login attempts"


def test_failed_sign_ins_lock_the_account_on_its_tenant_only(db, make_user):
    make_user("acme", email="locked@example.com", password="right-pass-123")
    make_user("globex", email="locked@example.com", password="right-pass-123")
    for _ in range(5):  # each from another address: the per-account limit, not the address's
        response = sign_in(browser_client("acme"), "locked@example.com", "wrong-pass")
        assert response.status_code == 200 and TOO_MANY not in response.content

    refused = sign_in(browser_client("acme"), "locked@example.com", "right-pass-123")

    assert refused.status_code == 200 and TOO_MANY in refused.content
    # The same address on another tenant is another account, with counters of its own.
    assert sign_in(browser_client("globex"), "locked@example.com",
                   "right-pass-123").status_code == 302


def test_failed_sign_ins_from_one_address_are_throttled_on_that_tenant(db, make_user):
    make_user("acme", email="victim@acme.test", password="right-pass-123")
    make_user("globex", email="victim@globex.test", password="right-pass-123")
    address = fresh_ip()
    attacker = TenantClient("acme", REMOTE_ADDR=address)
    for n in range(20):  # many accounts tried from one address
        sign_in(attacker, f"guess{n}@acme.test", "wrong-pass")

    assert TOO_MANY in sign_in(attacker, "victim@acme.test", "right-pass-123").content
    assert sign_in(TenantClient("acme", REMOTE_ADDR=fresh_ip()), "victim@acme.test",
                   "right-pass-123").status_code == 302
    assert sign_in(TenantClient("globex", REMOTE_ADDR=address), "victim@globex.test",
                   "right-pass-123").status_code == 302


def _require_two_factor(owner_client) -> None:
    response = owner_client.post("/settings/two-factor/", {"require_two_factor": "on"})
    assert response.status_code == 302


def test_only_an_owner_can_require_two_factor(client_for):
    admin = client_for("acme", role="admin")
    assert admin.post("/settings/two-factor/", {"require_two_factor": "on"}).status_code == 403
    assert b"Only an owner can change this" in admin.get("/settings/").content
    owner = client_for("acme", role="owner")
    assert b'name="require_two_factor"' in owner.get("/settings/").content
    _require_two_factor(owner)
    with schema_context("t_acme"):
        assert WorkspaceSettings.objects.get().require_two_factor


def test_members_without_two_factor_are_sent_to_enrolment_until_enrolled(
        client_for, make_user, api_key_for):
    _require_two_factor(client_for("acme", role="owner"))
    make_user("acme", email="late@acme.test", password="pass-word-123")
    member = browser_client("acme")
    sign_in(member, "late@acme.test", "pass-word-123")

    page = member.get("/inventory/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/2fa/totp/activate/?next=/inventory/"
    hx = member.get("/inventory/", HTTP_HX_REQUEST="true")
    assert hx.status_code == 204 and hx["HX-Redirect"].startswith("/accounts/2fa/totp/activate/")
    # Integrations keep working.
    key_client, _ = api_key_for("acme")
    assert key_client.get("/api/v1/me").status_code == 200
    # Another workspace's policy is its own.
    assert client_for("globex", role="member").get("/inventory/").status_code == 200

    # Enrolment through the page: the secret it shows, a code from it.
    form = member.get("/accounts/2fa/totp/activate/")
    assert form.status_code == 200
    secret = re.search(rb'id="authenticator_secret" value="([A-Z2-7]+)"', form.content)[1]
    enrolled = member.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret.decode())})
    assert enrolled.status_code == 302
    assert member.get("/inventory/").status_code == 200
    # Required: it cannot be turned off (the page says so, and the form refuses).
    profile = member.get("/profile/")
    assert b"it cannot be turned off" in profile.content
    assert b"/accounts/2fa/totp/deactivate/" not in profile.content
    member.post("/accounts/2fa/totp/deactivate/", {})
    with schema_context("t_acme"):
        assert user_has_mfa(User.objects.get(email="late@acme.test"))


def test_without_the_policy_a_member_may_turn_two_factor_off(db, make_user):
    user = make_user("acme", email="optional@acme.test", password="pass-word-123")
    secret, _ = enrol_totp("acme", user)
    client = browser_client("acme")
    sign_in(client, "optional@acme.test", "pass-word-123")
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert b"/accounts/2fa/totp/deactivate/" in client.get("/profile/").content
    assert client.post("/accounts/2fa/totp/deactivate/", {}).status_code == 302
    with schema_context("t_acme"):
        assert not user_has_mfa(User.objects.get(email="optional@acme.test"))


def test_operators_sign_in_through_allauth_on_the_public_host(db):
    operator = User.objects.create_superuser("ops@platform.test", "ops-pass-123")
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR=fresh_ip())
    assert b"Sign Up Closed" in client.get("/accounts/signup/").content  # none here either
    console = client.get("/console/", follow=True)
    assert console.redirect_chain[-1][0] == "/accounts/login/?next=/console/"
    assert b'name="login"' in console.content
    signed_in = client.post("/accounts/login/?next=/console/",
                            {"login": "ops@platform.test", "password": "ops-pass-123"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/console/"
    assert client.get("/console/").status_code == 200

    assert not user_has_mfa(operator)
    enrol_public_totp(operator)
    assert user_has_mfa(operator)
    # A tenant member of the same id is another person.
    with schema_context("t_acme"):
        assert not user_has_mfa(User.objects.order_by("pk").first())
    connection.set_schema_to_public()


def enrol_public_totp(user) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
