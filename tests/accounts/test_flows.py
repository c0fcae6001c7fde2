"""The account flows on a tenant host, through the pages a person uses: password reset by e-mail,
sign-in with a second factor or a recovery code, e-mail change with verification, sign out
everywhere, closed sign-up, and the profile page."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from tests.accounts.helpers import browser_client, enrol_totp, links, sign_in, totp_code


def _request_reset(client, email: str):
    response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/done/"
    return response


def _reset_link(mailoutbox, email: str) -> tuple[str, str]:
    (message,) = [m for m in mailoutbox if m.to == [email]]
    (link,) = [(h, p) for h, p in links(message) if "/password/reset/key/" in p]
    return link


def test_password_reset_mail_names_the_workspace_and_its_link_sets_a_new_password(
        db, make_user, mailoutbox):
    make_user("acme", email="reset@acme.test", password="old-pass-word-1")
    client = browser_client("acme")

    _request_reset(client, "reset@acme.test")

    (message,) = mailoutbox
    assert message.to == ["reset@acme.test"]
    assert message.subject.startswith("[Acme] ")
    host, path = _reset_link(mailoutbox, "reset@acme.test")
    assert host == "acme.localhost"  # the tenant's own host
    form = client.get(path, follow=True)
    assert form.status_code == 200 and b'name="password1"' in form.content
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"password1": "new-pass-word-2", "password2": "new-pass-word-2"})
    assert done.status_code == 302

    fresh = browser_client("acme")
    assert sign_in(fresh, "reset@acme.test", "old-pass-word-1").status_code == 200  # refused
    assert sign_in(fresh, "reset@acme.test", "new-pass-word-2").status_code == 302


def test_a_reset_link_works_once(db, make_user, mailoutbox):
    make_user("acme", email="once@acme.test", password="old-pass-word-1")
    client = browser_client("acme")
    _request_reset(client, "once@acme.test")
    _, path = _reset_link(mailoutbox, "once@acme.test")
    set_url = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"password1": "new-pass-word-2", "password2": "new-pass-word-2"})

    again = browser_client("acme").get(path, follow=True)

    assert b"Bad Token" in again.content or b"invalid" in again.content.lower()
    assert b'name="password1"' not in again.content


def test_a_reset_link_expires(db, make_user, mailoutbox, settings):
    make_user("acme", email="late@acme.test", password="old-pass-word-1")
    client = browser_client("acme")
    _request_reset(client, "late@acme.test")
    _, path = _reset_link(mailoutbox, "late@acme.test")

    settings.PASSWORD_RESET_TIMEOUT = -1  # the link's hour is over
    page = client.get(path, follow=True)

    assert b'name="password1"' not in page.content
    with schema_context("t_acme"):
        assert User.objects.get(email="late@acme.test").check_password("old-pass-word-1")


def test_a_reset_link_of_tenant_a_means_nothing_on_tenant_b(db, make_user, mailoutbox):
    # The same address in both tenants, with the same user id in each schema.
    pat_a = make_user("acme", email="pat@example.com", password="acme-pass-123", id=4242)
    pat_b = make_user("globex", email="pat@example.com", password="globex-pass-123", id=4242)
    assert pat_a.pk == pat_b.pk
    _request_reset(browser_client("acme"), "pat@example.com")
    _, path = _reset_link(mailoutbox, "pat@example.com")

    on_b = browser_client("globex").get(path, follow=True)

    assert b'name="password1"' not in on_b.content
    with schema_context("t_globex"):
        assert User.objects.get(email="pat@example.com").check_password("globex-pass-123")


def test_sign_in_asks_for_the_second_factor_and_takes_a_code(db, make_user):
    user = make_user("acme", email="totp@acme.test", password="pass-word-123")
    secret, _ = enrol_totp("acme", user)
    client = browser_client("acme")

    first = sign_in(client, "totp@acme.test", "pass-word-123")
    assert first.status_code == 302 and first["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/api/v1/me").status_code == 401  # the password alone signs nobody in
    assert client.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200
    signed_in = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert signed_in.status_code == 302
    assert client.get("/api/v1/me").json()["user"]["email"] == "totp@acme.test"


def test_a_recovery_code_signs_in_once(db, make_user):
    user = make_user("acme", email="lost-phone@acme.test", password="pass-word-123")
    _, codes = enrol_totp("acme", user)
    client = browser_client("acme")
    sign_in(client, "lost-phone@acme.test", "pass-word-123")
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    assert client.get("/api/v1/me").status_code == 200

    again = browser_client("acme")
    sign_in(again, "lost-phone@acme.test", "pass-word-123")
    assert again.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 200
    assert again.get("/api/v1/me").status_code == 401


def test_the_same_email_in_two_tenants_has_separate_passwords_and_second_factors(db, make_user):
    pat_a = make_user("acme", email="two@example.com", password="acme-pass-123")
    make_user("globex", email="two@example.com", password="globex-pass-123")
    enrol_totp("acme", pat_a)

    on_b = browser_client("globex")
    assert sign_in(on_b, "two@example.com", "acme-pass-123").status_code == 200  # acme's password
    assert sign_in(on_b, "two@example.com", "globex-pass-123")["Location"] == "/"  # no 2FA on B
    on_a = browser_client("acme")
    assert sign_in(on_a, "two@example.com", "globex-pass-123").status_code == 200
    assert (sign_in(on_a, "two@example.com", "acme-pass-123")["Location"]
            == "/accounts/2fa/authenticate/")


def test_sign_out_everywhere_ends_the_other_sessions_at_once(db, make_user):
    make_user("acme", email="roam@acme.test", password="pass-word-123")
    laptop, phone = browser_client("acme"), browser_client("acme")
    for device in (laptop, phone):
        assert sign_in(device, "roam@acme.test", "pass-word-123").status_code == 302
    sessions = laptop.get("/accounts/sessions/")
    assert sessions.status_code == 200 and sessions.content.count(b"<tr>") >= 3  # head + 2

    assert laptop.post("/accounts/sessions/").status_code == 302

    assert phone.get("/api/v1/me").status_code == 401
    assert phone.get("/")["Location"].startswith("/accounts/login/")
    assert laptop.get("/api/v1/me").status_code == 200


def test_an_email_change_waits_for_the_new_address_to_be_verified(db, make_user, mailoutbox):
    make_user("acme", email="old@acme.test", password="pass-word-123")
    client = browser_client("acme")
    sign_in(client, "old@acme.test", "pass-word-123")

    added = client.post("/accounts/email/", {"email": "new@acme.test", "action_add": ""})

    assert added.status_code == 302
    with schema_context("t_acme"):
        assert User.objects.filter(email="old@acme.test").exists()  # not yet
    connection.set_schema_to_public()
    (message,) = [m for m in mailoutbox if m.to == ["new@acme.test"]]
    assert message.subject.startswith("[Acme] ")
    (host, path), = [(h, p) for h, p in links(message) if "/confirm-email/" in p]
    assert host == "acme.localhost"
    # Another tenant's host does not know the key.
    assert browser_client("globex").post(path).status_code == 404
    assert client.post(path).status_code == 302
    with schema_context("t_acme"):
        assert User.objects.get(email="new@acme.test")
        assert not User.objects.filter(email="old@acme.test").exists()


def test_nobody_signs_up_on_a_tenant_host(db):
    client = browser_client("acme")
    page = client.get("/accounts/signup/")
    assert page.status_code == 200 and b"Sign Up Closed" in page.content
    client.post("/accounts/signup/", {"email": "walk-in@acme.test", "password1": "pass-word-123"})
    with schema_context("t_acme"):
        assert not User.objects.filter(email="walk-in@acme.test").exists()


def test_the_login_page_offers_a_reset_and_no_sign_up(db):
    page = browser_client("acme").get("/accounts/login/")
    assert b"Sign in to Acme" in page.content and b"/accounts/password/reset/" in page.content
    assert b"/accounts/signup/" not in page.content
    assert b"app.css" in page.content  # the design system's layout
    assert browser_client("acme").get("/login/?next=/inventory/")["Location"] == (
        "/accounts/login/?next=/inventory/")


def test_the_profile_page_changes_the_name_and_shows_only_ones_own_account(
        client_for, make_user):
    make_user("globex", email="stranger@globex.test", full_name="Globex Stranger")
    make_user("acme", email="colleague@acme.test", full_name="Acme Colleague")
    client = client_for("acme", role="member")
    page = client.get("/profile/")
    assert page.status_code == 200
    for absent in (b"Stranger", b"stranger@globex.test", b"Colleague"):
        assert absent not in page.content
    assert client.post("/profile/", {"full_name": "Pat Doe"}).status_code == 302
    assert client.get("/api/v1/me").json()["user"]["full_name"] == "Pat Doe"
    too_long = client.post("/profile/", {"full_name": "x" * 201})
    assert too_long.status_code == 200 and b"errorlist" in too_long.content


def test_a_reset_token_names_its_schema_even_for_identical_accounts(db, make_user):
    """Same id, address, password hash and last sign-in in two schemas: only the schema in the
    token tells them apart."""
    from allauth.account.forms import default_token_generator

    twin_a = make_user("acme", email="twin@example.com", id=4343)
    with schema_context("t_globex"):
        twin_b = User.objects.create(id=4343, email="twin@example.com", password=twin_a.password,
                                     date_joined=twin_a.date_joined)
    with schema_context("t_acme"):
        twin_a = User.objects.get(pk=4343)
        token = default_token_generator.make_token(twin_a)
        assert default_token_generator.check_token(twin_a, token)
    with schema_context("t_globex"):
        twin_b = User.objects.get(pk=4343)
        assert twin_b.password == twin_a.password and twin_b.last_login == twin_a.last_login
        assert not default_token_generator.check_token(twin_b, token)
