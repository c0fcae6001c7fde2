"""The team: role rules, invitations (single use, 7 days, re-send gives a new link and kills
the old one, revoke), the e-mails and their links, removing a member (sessions and keys refused
on the next request), transfer of ownership, in the services, the page and the API; and that
nothing of one tenant's team shows on another's host."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import TenantClient

LINK = re.compile(r"http://(?P<host>[a-z0-9.-]+)(?P<path>/invitations/[A-Za-z0-9_-]+)")


def _link(message) -> tuple[str, str]:
    match = LINK.search(message.body)
    assert match, message.body
    return match["host"], match["path"]


@pytest.fixture
def acme(in_tenant):
    return in_tenant("acme")


# --- role rules -------------------------------------------------------------------------------

@pytest.mark.parametrize("actor_role,target_role,new_role,allowed", [
    ("owner", "admin", "member", True),
    ("owner", "member", "owner", True),
    ("owner", "owner", "admin", True),  # another owner remains (the actor)
    ("admin", "member", "admin", True),
    ("admin", "admin", "viewer", True),
    ("admin", "member", "owner", False),  # only an owner makes owners
    ("admin", "owner", "admin", False),  # only an owner touches owners
    ("member", "viewer", "member", False),
    ("viewer", "member", "viewer", False),
])
def test_who_may_change_whose_role(make_user, acme, actor_role, target_role, new_role, allowed):
    from tenant_apps.core.errors import Forbidden
    from tenant_apps.core.services.members import member_change_role

    actor, target = make_user("acme", role=actor_role), make_user("acme", role=target_role)
    with acme:
        if allowed:
            assert member_change_role(actor=actor, actor_role=actor_role, member=target,
                                      role=new_role).role == new_role
        else:
            with pytest.raises(Forbidden):
                member_change_role(actor=actor, actor_role=actor_role, member=target,
                                   role=new_role)
            target.refresh_from_db()
            assert target.role == target_role


def test_the_last_owner_can_be_neither_demoted_nor_removed_nor_leave(make_user, acme):
    from shared_apps.accounts.models import User
    from tenant_apps.core.errors import Conflict
    from tenant_apps.core.services.members import member_change_role, member_remove

    with acme:
        User.objects.filter(role="owner").update(role="admin")  # the seeded owner steps down
    owner = make_user("acme", role="owner")
    with acme:
        with pytest.raises(Conflict, match="needs an owner"):
            member_change_role(actor=owner, actor_role="owner", member=owner, role="admin")
        with pytest.raises(Conflict):
            member_remove(actor=owner, actor_role="owner", member=owner)
        assert User.objects.get(pk=owner.pk).role == "owner"
    second = make_user("acme", role="owner")
    with acme:
        member_remove(actor=owner, actor_role="owner", member=owner)  # now it may leave
        assert not User.objects.get(pk=owner.pk).is_active
        with pytest.raises(Conflict):
            member_change_role(actor=second, actor_role="owner", member=second, role="member")


def test_an_admin_removes_members_and_admins_but_not_owners_and_anyone_may_leave(
        make_user, acme):
    from tenant_apps.core.errors import Forbidden
    from tenant_apps.core.services.members import member_remove

    admin, other_admin = make_user("acme", role="admin"), make_user("acme", role="admin")
    owner, viewer = make_user("acme", role="owner"), make_user("acme", role="viewer")
    with acme:
        member_remove(actor=admin, actor_role="admin", member=other_admin)
        with pytest.raises(Forbidden):
            member_remove(actor=admin, actor_role="admin", member=owner)
        with pytest.raises(Forbidden):
            member_remove(actor=viewer, actor_role="viewer", member=admin)
        member_remove(actor=viewer, actor_role="viewer", member=viewer)  # leaving


def test_transfer_of_ownership_makes_the_owner_an_admin(make_user, acme):
    from tenant_apps.core.errors import Forbidden
    from tenant_apps.core.services.members import member_transfer_ownership

    owner, admin, member = (make_user("acme", role=r) for r in ("owner", "admin", "member"))
    with acme:
        with pytest.raises(Forbidden):
            member_transfer_ownership(actor=admin, actor_role="admin", member=member)
        member_transfer_ownership(actor=owner, actor_role="owner", member=member)
        owner.refresh_from_db()
        member.refresh_from_db()
        assert (owner.role, member.role) == ("admin", "owner")


# --- invitations --------------------------------------------------------------------------------

def _invite(make_user, acme, email="new@person.example", role="member", actor_role="admin"):
    from tenant_apps.core.services.invitations import invitation_invite

    inviter = make_user("acme", role=actor_role, full_name="Ada Admin")
    with acme:
        return invitation_invite(email=email, role=role, invited_by=inviter,
                                 actor_role=actor_role, base_url="http://acme.localhost",
                                 workspace_name="Acme")


def test_the_invitation_email_names_workspace_role_inviter_and_links_to_the_tenant_host(
        make_user, acme, mailoutbox):
    sent = _invite(make_user, acme, email="New@Person.example", role="admin")
    assert sent.emailed and len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["new@person.example"]
    assert message.subject == "You are invited to join Acme"
    assert "Ada Admin invited you to join Acme as Admin" in message.body
    assert "works once and expires on" in message.body
    host, path = _link(message)
    assert host == "acme.localhost" and sent.link == f"http://{host}{path}"
    html = message.alternatives[0][0]
    assert f'href="{sent.link}"' in html and "Join Acme" in html


def test_a_link_works_once_and_then_means_nothing(make_user, acme, client, mailoutbox):
    _invite(make_user, acme)
    _host, path = _link(mailoutbox[0])
    form = {"full_name": "Nia New", "password": "a-fine-pass-word-1",
            "password_again": "a-fine-pass-word-1"}
    assert client.get(path, HTTP_HOST="acme.localhost").status_code == 200
    # Tenant A's link means nothing on B's host.
    assert client.get(path, HTTP_HOST="globex.localhost").status_code == 404
    assert client.post(path, form, HTTP_HOST="globex.localhost").status_code == 404
    accepted = client.post(path, form, HTTP_HOST="acme.localhost")
    assert accepted.status_code == 302 and accepted["Location"] == "/"
    assert client.get("/team/", HTTP_HOST="acme.localhost").status_code == 200  # signed in
    client.logout()
    again = client.post(path, form, HTTP_HOST="acme.localhost")
    assert again.status_code == 404 and b"Invitation not valid" in again.content


def test_a_link_expires_after_seven_days(make_user, acme, client):
    from tenant_apps.core.models import Invitation

    sent = _invite(make_user, acme)
    path = sent.link.removeprefix("http://acme.localhost")
    with acme:
        invitation = Invitation.objects.get(pk=sent.invitation.pk)
        lifetime = invitation.expires_at - invitation.created_at
        assert timedelta(days=7) - timedelta(seconds=5) < lifetime <= timedelta(days=7)
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(path, HTTP_HOST="acme.localhost").status_code == 404


def test_resend_makes_a_new_link_and_the_old_one_stops_working(make_user, acme, client,
                                                               mailoutbox):
    from tenant_apps.core.models import Invitation
    from tenant_apps.core.services.invitations import invitation_resend

    first = _invite(make_user, acme)
    with acme:
        Invitation.objects.filter(pk=first.invitation.pk).update(
            expires_at=timezone.now() - timedelta(days=1))  # expired: resend renews it
        second = invitation_resend(invitation_id=first.invitation.pk, actor_role="admin",
                                   base_url="http://acme.localhost", workspace_name="Acme")
    assert second.link != first.link and len(mailoutbox) == 2
    assert _link(mailoutbox[1])[1] == second.link.removeprefix("http://acme.localhost")
    assert client.get(first.link.removeprefix("http://acme.localhost"),
                      HTTP_HOST="acme.localhost").status_code == 404
    assert client.get(second.link.removeprefix("http://acme.localhost"),
                      HTTP_HOST="acme.localhost").status_code == 200


def test_revoked_links_and_replaced_invitations_stop_working(make_user, acme, client):
    from tenant_apps.core.services.invitations import invitation_revoke

    first = _invite(make_user, acme)
    second = _invite(make_user, acme)  # the same address again replaces the pending one
    assert client.get(first.link.removeprefix("http://acme.localhost"),
                      HTTP_HOST="acme.localhost").status_code == 404
    with acme:
        invitation_revoke(invitation_id=second.invitation.pk, actor_role="admin")
    assert client.get(second.link.removeprefix("http://acme.localhost"),
                      HTTP_HOST="acme.localhost").status_code == 404


def test_inviting_an_owner_needs_an_owner_and_members_are_not_invited_twice(make_user, acme):
    from tenant_apps.core.errors import Conflict, Forbidden

    with pytest.raises(Forbidden):
        _invite(make_user, acme, role="owner", actor_role="admin")
    with pytest.raises(Forbidden):
        _invite(make_user, acme, role="viewer", actor_role="member")
    assert _invite(make_user, acme, role="owner", actor_role="owner").emailed
    make_user("acme", role="member", email="taken@acme.test")
    with pytest.raises(Conflict):
        _invite(make_user, acme, email="taken@acme.test")


def test_a_removed_member_invited_again_comes_back(make_user, acme, client):
    from shared_apps.accounts.models import User
    from tenant_apps.core.services.members import member_remove

    owner = make_user("acme", role="owner")
    gone = make_user("acme", role="member", email="back@acme.test")
    with acme:
        member_remove(actor=owner, actor_role="owner", member=gone)
    sent = _invite(make_user, acme, email="back@acme.test", role="viewer")
    path = sent.link.removeprefix("http://acme.localhost")
    client.post(path, {"password": "a-fine-pass-word-2", "password_again": "a-fine-pass-word-2"},
                HTTP_HOST="acme.localhost")
    with acme:
        back = User.objects.get(email="back@acme.test")
        assert back.is_active and back.role == "viewer" and back.pk == gone.pk


# --- the page -----------------------------------------------------------------------------------

def test_the_team_page_lists_this_tenants_members_only(client_for, make_user):
    make_user("globex", role="admin", email="secret@globex.test")
    page = client_for("acme", role="viewer")
    make_user("acme", role="admin", email="colleague@acme.test", full_name="Cora Colleague")
    html = page.get("/team/").content.decode()
    assert "colleague@acme.test" in html and "Cora Colleague" in html
    assert "owner@acme.test" in html and "secret@globex.test" not in html
    assert "Invite someone" not in html  # a viewer only reads
    assert page.post("/team/", {"email": "x@y.example", "role": "member"}).status_code == 403


def test_an_admin_invites_from_the_page_and_sees_the_pending_invitation(client_for, mailoutbox):
    admin = client_for("acme", role="admin")
    bad = admin.post("/team/", {"email": "not-an-address", "role": "member"})
    assert bad.status_code == 400 and "Enter a valid email address." in bad.content.decode()
    owner_role = admin.post("/team/", {"email": "boss@x.example", "role": "owner"})
    assert owner_role.status_code == 400  # an admin is not offered "owner"
    response = admin.post("/team/", {"email": "pat@x.example", "role": "member"})
    html = response.content.decode()
    assert response.status_code == 200 and "Invitation sent to pat@x.example" in html
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["pat@x.example"]
    assert 'id="invitations"' in html and "pat@x.example" in html


def test_page_actions_change_roles_remove_and_refuse_what_the_rules_refuse(client_for,
                                                                           make_user, acme):
    from shared_apps.accounts.models import User

    admin = client_for("acme", role="admin")
    member = make_user("acme", role="member")
    owner = make_user("acme", role="owner")
    admin.post(f"/team/members/{member.pk}/role", {f"m{member.pk}-role": "admin"})
    refused = admin.post(f"/team/members/{owner.pk}/remove", follow=True)
    assert "Only an owner can change an owner" in refused.content.decode()
    admin.post(f"/team/members/{member.pk}/remove")
    with acme:
        assert User.objects.get(pk=member.pk).role == "admin"
        assert not User.objects.get(pk=member.pk).is_active
        assert User.objects.get(pk=owner.pk).is_active
    assert admin.post(f"/team/members/{member.pk}/remove").status_code == 404  # gone


# --- removal takes effect on the next request ----------------------------------------------------

def test_a_removed_members_session_and_api_key_are_refused_on_the_next_request(
        client_for, make_user, acme):
    from tenant_apps.core.services.api_keys import api_key_create

    owner = client_for("acme", role="owner")
    member_session = client_for("acme", role="admin")
    with acme:
        raw = api_key_create(name="k", scope="read", created_by=member_session.user).raw_key
    key = TenantClient("acme", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert member_session.get("/api/v1/me").status_code == 200
    assert key.get("/api/v1/me").status_code == 200
    assert owner.delete(f"/api/v1/members/{member_session.user.pk}").status_code == 204
    assert member_session.get("/api/v1/me").status_code == 401
    assert member_session.get("/team/").status_code == 302  # to sign-in
    assert key.get("/api/v1/me").status_code == 401


# --- the API --------------------------------------------------------------------------------------

def test_the_members_api_lists_changes_and_transfers(client_for, make_user):
    owner = client_for("acme", role="owner")
    member = make_user("acme", role="member", email="m@acme.test")
    make_user("globex", role="member", email="m@globex.test")
    listed = owner.get("/api/v1/members").json()
    emails = [row["email"] for row in listed["results"]]
    assert "m@acme.test" in emails and "m@globex.test" not in emails
    row = next(r for r in listed["results"] if r["email"] == "m@acme.test")
    assert row["role"] == "member" and row["two_factor_enabled"] is False
    assert "last_login" in row
    changed = owner.patch(f"/api/v1/members/{member.pk}", {"role": "viewer"}, format="json")
    assert changed.status_code == 200 and changed.json()["role"] == "viewer"
    bad = owner.patch(f"/api/v1/members/{member.pk}", {"role": "king"}, format="json")
    assert bad.status_code == 400 and "role" in bad.json()["error"]["fields"]
    moved = owner.post(f"/api/v1/members/{member.pk}/transfer-ownership")
    assert moved.status_code == 200 and moved.json()["role"] == "owner"
    assert owner.get("/api/v1/me").json()["role"] == "admin"


def test_an_api_key_acts_at_most_as_admin_on_the_team(api_key_for, make_user):
    key, _raw = api_key_for("acme", scope="read_write", role="owner")
    owner = make_user("acme", role="owner")
    assert key.delete(f"/api/v1/members/{owner.pk}").status_code == 403
    assert key.post(f"/api/v1/members/{owner.pk}/transfer-ownership").status_code == 403
    assert key.post("/api/v1/invitations", {"email": "o@x.example", "role": "owner"},
                    format="json").status_code == 403
    read_key, _ = api_key_for("acme", scope="read", role="owner")
    assert read_key.get("/api/v1/members").status_code == 200
    assert read_key.get("/api/v1/invitations").status_code == 403  # admins only


def test_the_invitations_api_invites_resends_and_revokes(client_for, mailoutbox, client):
    admin = client_for("acme", role="admin")
    created = admin.post("/api/v1/invitations", {"email": "api@x.example", "role": "viewer"},
                         format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["emailed"] is True and body["link"].startswith("http://acme.localhost/invit")
    assert [r["email"] for r in admin.get("/api/v1/invitations").json()["results"]] == [
        "api@x.example"]
    resent = admin.post(f"/api/v1/invitations/{body['id']}/resend")
    assert resent.status_code == 200 and resent.json()["link"] != body["link"]
    assert len(mailoutbox) == 2
    revoked = admin.post(f"/api/v1/invitations/{body['id']}/revoke")
    assert revoked.status_code == 200
    assert admin.get("/api/v1/invitations").json()["count"] == 0
    assert admin.post(f"/api/v1/invitations/{body['id']}/revoke").status_code == 404
    path = resent.json()["link"].removeprefix("http://acme.localhost")
    assert client.get(path, HTTP_HOST="acme.localhost").status_code == 404
    taken = admin.post("/api/v1/invitations", {"email": admin.user.email}, format="json")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "already_member"


def test_another_tenants_invitations_and_members_are_404(client_for, make_user):
    acme_admin = client_for("acme", role="admin")
    invitation = acme_admin.post("/api/v1/invitations", {"email": "i@x.example"},
                                 format="json").json()
    acme_member = make_user("acme", role="member")
    globex = client_for("globex", role="owner")
    assert globex.get(f"/api/v1/invitations/{invitation['id']}").status_code == 404
    assert globex.post(f"/api/v1/invitations/{invitation['id']}/revoke").status_code == 404
    assert globex.get("/api/v1/invitations").json()["count"] == 0
    if acme_member.pk not in [r["id"] for r in globex.get("/api/v1/members").json()["results"]]:
        assert globex.delete(f"/api/v1/members/{acme_member.pk}").status_code == 404


# --- the owner of a new tenant -----------------------------------------------------------------

def test_a_new_tenants_owner_is_emailed_the_link_the_operator_sees(db, mailoutbox, client):
    from tenants.provisioning import tenant_provision

    ctx = tenant_provision(slug="mailed-owner", name="Mailed Co", owner_email="o@mailed.example")
    assert ctx.invitation_emailed and len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["o@mailed.example"]
    assert message.subject == "Your workspace Mailed Co is ready: set your password"
    host, path = _link(message)
    assert f"http://{host}{path}" == ctx.invitation_url and host == "mailed-owner.localhost"
    assert b"Owner" in client.get(path, HTTP_HOST=host).content


def test_leaving_from_the_page_signs_out_and_the_last_owner_is_told_why_not(client_for, acme):
    from shared_apps.accounts.models import User

    viewer = client_for("acme", role="viewer")
    left = viewer.post(f"/team/members/{viewer.user.pk}/remove")
    assert left.status_code == 302 and left["Location"] == "/login/"
    assert viewer.get("/team/").status_code == 302
    with acme:
        assert not User.objects.get(pk=viewer.user.pk).is_active
        User.objects.filter(role="owner").update(role="admin")
    owner = client_for("acme", role="owner")
    refused = owner.post(f"/team/members/{owner.user.pk}/remove", follow=True)
    assert "A workspace needs an owner" in refused.content.decode()

