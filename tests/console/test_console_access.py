"""Who reaches the operator console, and the raw-data admin behind it."""

from django.test import Client, override_settings

from shared_apps.accounts.models import User


def _signed_in(**flags) -> Client:
    user = User.objects.create_user(email=f"u{User.objects.count()}@platform.test",
                                    password="a-long-pass-123", **flags)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_sign_in_and_back(client, db):
    response = client.get("/console/", HTTP_HOST="localhost")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/console/"


def test_operators_sign_in_on_the_public_host_and_land_on_the_console(client, db):
    User.objects.create_user(email="ops@platform.test", password="a-long-pass-123",
                             is_staff=True)
    response = client.post("/accounts/login/?next=/console/", {
        "login": "ops@platform.test", "password": "a-long-pass-123", "next": "/console/"},
        HTTP_HOST="localhost")
    assert response.status_code == 302 and response["Location"] == "/console/"
    page = client.get("/console/", HTTP_HOST="localhost")
    assert page.status_code == 200 and b"Platform console" in page.content


def test_signed_in_non_operators_are_refused(db):
    assert _signed_in().get("/console/").status_code == 403


def test_the_overview_counts_tenants_per_state(tenants, db):
    page = _signed_in(is_staff=True).get("/console/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "acme" in body and "Newest tenants" in body
    assert 'aria-current="page">Overview' in body


def test_raw_data_admin_is_for_superusers_only(db):
    staff = _signed_in(is_staff=True)
    assert staff.get("/console/admin/").status_code == 302  # admin's own sign-in: not for them
    assert b"Raw data" not in staff.get("/console/").content
    superuser = _signed_in(is_staff=True, is_superuser=True)
    assert superuser.get("/console/admin/").status_code == 200
    assert b"Raw data" in superuser.get("/console/").content


@override_settings(OPERATOR_MFA_REQUIRED=True)
def test_where_two_factor_is_required_an_operator_without_it_is_sent_to_enrol(db):
    from allauth.mfa.models import Authenticator

    operator = _signed_in(is_staff=True)
    response = operator.get("/console/tenants/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/?next=/console/tenants/")
    api = operator.get("/api/operator/v1/tenants")
    assert api.status_code == 403 and "two-factor" in api.json()["error"]["message"]
    user = User.objects.get(pk=operator.session["_auth_user_id"])
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert operator.get("/console/tenants/").status_code == 200
    assert operator.get("/api/operator/v1/tenants").status_code == 200
