"""Invitations: invite someone by e-mail with a role, re-send, revoke, accept (set a password).

Rules: whoever invites must be at least an admin, and only an owner may invite an owner (the
same rule as changing roles, tenant_apps.core.services.members). A link is single-use and valid
for 7 days. One address has at most one pending invitation: inviting it again replaces the
pending one. **Re-sending gives the invitation a new token and a new 7-day lifetime, and the old
link stops working**: only the token's SHA-256 is stored, so the old link cannot be sent again,
and a stale e-mail (forwarded, or sitting in a shared inbox) should not stay usable.

The owner of a new tenant is invited the same way, by provisioning (``invitation_create`` with
no inviter); provisioning never hashes a password."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from tenant_apps.core.actor import Actor, current_actor
from tenant_apps.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tenant_apps.core.limits import quota_check
from tenant_apps.core.mail import invitation_email_send
from tenant_apps.core.models import Invitation
from tenant_apps.core.roles import Role, role_at_least
from tenant_apps.core.services.audit import tenant_audit

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = timedelta(days=7)
INVALID_LINK = "This invitation link is invalid or has expired."


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def invitation_link(*, base_url: str, raw_token: str) -> str:
    """``base_url`` is the tenant host's origin (``https://acme.example.com``)."""
    return f"{base_url.rstrip('/')}/invitations/{raw_token}"


@dataclass
class SentInvitation:
    invitation: Invitation
    link: str  # shown once to whoever invited (a fallback when the mail goes astray)
    emailed: bool


def members_count(*, excluding_email: str = "") -> int:
    """Active accounts of the tenant: the plan's ``members`` quota counts these."""
    users = get_user_model().objects.filter(is_active=True)
    return users.exclude(email__iexact=excluding_email).count() if excluding_email \
        else users.count()


def _seats_taken(*, email: str) -> int:
    """Members and open invitations to people who are not members yet, leaving ``email`` out:
    an invitation holds a seat until it is used or expires, so that accepting it never fails."""
    active_emails = get_user_model().objects.filter(is_active=True).values("email")
    pending = (Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True,
                                         expires_at__gt=timezone.now())
               .exclude(email__iexact=email).exclude(email__in=active_emails)
               .values("email").distinct().count())
    return members_count(excluding_email=email) + pending


@transaction.atomic  # the quota's lock is held until the invitation is in
def invitation_create(*, email: str, role: str, invited_by=None) -> tuple[Invitation, str]:
    """A new invitation and its raw token (never stored; put it in the link). No role check:
    callers that act for a person use ``invitation_invite``."""
    if role not in Role.values:
        raise InvalidInput(fields={"role": [f"Unknown role {role!r}."]})
    email = email.strip().lower()
    quota_check("members", used=lambda: _seats_taken(email=email))
    raw_token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email.strip().lower(), role=role, token_hash=hash_token(raw_token),
        expires_at=timezone.now() + INVITATION_LIFETIME, invited_by=invited_by)
    tenant_audit("invitation.create", target=invitation.email,
                 detail={"id": invitation.pk, "role": role})
    return invitation, raw_token


def _check_may_invite(*, actor_role: str, role: str) -> None:
    if not role_at_least(actor_role, Role.ADMIN):
        raise Forbidden("Only admins and owners can invite people.")
    if role == Role.OWNER and actor_role != Role.OWNER:
        raise Forbidden("Only an owner can invite an owner.", code="owner_only")


def _send(*, invitation: Invitation, raw_token: str, base_url: str, workspace_name: str,
          invited_by=None) -> SentInvitation:
    link = invitation_link(base_url=base_url, raw_token=raw_token)
    try:
        invitation_email_send(invitation=invitation, link=link, workspace_name=workspace_name,
                              invited_by=invited_by)
    except Exception:  # the mail server is down: the invitation stands, the link is shown
        logger.exception("Could not e-mail the invitation %s", invitation.pk)
        return SentInvitation(invitation=invitation, link=link, emailed=False)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["sent_at"])
    return SentInvitation(invitation=invitation, link=link, emailed=True)


def invitation_invite(*, email: str, role: str, invited_by, actor_role: str, base_url: str,
                      workspace_name: str) -> SentInvitation:
    """Invite ``email`` as ``role`` and e-mail the link (replacing a pending invitation of the
    same address). An address that is already an active member is a 409."""
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    if role not in Role.values:
        errors["role"] = [f"Choose one of: {', '.join(Role.values)}."]
    if errors:
        raise InvalidInput(fields=errors)
    _check_may_invite(actor_role=actor_role, role=role)
    if get_user_model().objects.filter(email__iexact=email, is_active=True).exists():
        raise Conflict(f"{email} is already a member.", code="already_member",
                       fields={"email": ["This person is already a member."]})
    with transaction.atomic():
        Invitation.objects.filter(email=email, accepted_at__isnull=True,
                                  revoked_at__isnull=True).update(revoked_at=timezone.now())
        invitation, raw_token = invitation_create(email=email, role=role, invited_by=invited_by)
    return _send(invitation=invitation, raw_token=raw_token, base_url=base_url,
                 workspace_name=workspace_name, invited_by=invited_by)


def _pending(invitation_id: int) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(
        pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True).first()
    if invitation is None:
        raise NotFound("No such pending invitation.", code="invitation_not_found")
    return invitation


def invitation_resend(*, invitation_id: int, actor_role: str, base_url: str,
                      workspace_name: str, sent_by=None) -> SentInvitation:
    """A new link (the old one stops working) valid 7 days from now, e-mailed again. Works on
    an expired invitation too: that is how one renews it."""
    with transaction.atomic():
        invitation = _pending(invitation_id)
        _check_may_invite(actor_role=actor_role, role=invitation.role)
        raw_token = secrets.token_urlsafe(32)
        invitation.token_hash = hash_token(raw_token)
        invitation.expires_at = timezone.now() + INVITATION_LIFETIME
        invitation.save(update_fields=["token_hash", "expires_at"])
        tenant_audit("invitation.resend", target=invitation.email,
                     detail={"id": invitation.pk, "role": invitation.role})
    return _send(invitation=invitation, raw_token=raw_token, base_url=base_url,
                 workspace_name=workspace_name, invited_by=sent_by)


@transaction.atomic
def invitation_revoke(*, invitation_id: int, actor_role: str) -> Invitation:
    """The link stops working at once."""
    invitation = _pending(invitation_id)
    _check_may_invite(actor_role=actor_role, role=invitation.role)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    tenant_audit("invitation.revoke", target=invitation.email,
                 detail={"id": invitation.pk, "role": invitation.role})
    return invitation


def invitation_get_open(*, raw_token: str) -> Invitation:
    """The invitation of ``raw_token`` if it can still be accepted; NotFound otherwise (unknown,
    expired, revoked and used tokens look alike to whoever holds one)."""
    invitation = Invitation.objects.filter(token_hash=hash_token(raw_token or "")).first()
    if (invitation is None or invitation.accepted_at is not None
            or invitation.revoked_at is not None or invitation.expires_at <= timezone.now()):
        raise NotFound(INVALID_LINK, code="invitation_invalid")
    return invitation


@transaction.atomic
def invitation_accept(*, raw_token: str, password: str, full_name: str = ""):
    """Accept: the invited account (created now, the one waiting with an unusable password, or
    a removed member's, re-activated) gets ``password`` and the invitation's role; the
    invitation is used up."""
    invitation = invitation_get_open(raw_token=raw_token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise NotFound(INVALID_LINK, code="invitation_invalid")
    # Seats were counted when inviting; a plan lowered since then is enforced here.
    quota_check("members", used=lambda: members_count(excluding_email=invitation.email))
    User = get_user_model()
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        user = User(email=invitation.email, role=invitation.role)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(fields={"password": exc.messages}) from exc
    user.role = invitation.role
    user.is_active = True
    if full_name:
        user.full_name = full_name.strip()[:200]
    user.set_password(password)
    user.save()
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    tenant_audit("invitation.accept", target=invitation.email,
                 detail={"id": invitation.pk, "role": invitation.role}, actor=Actor(
                     user.email, user.pk, ip=current_actor().ip))
    return user
