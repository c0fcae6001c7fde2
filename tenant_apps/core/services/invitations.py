"""Invitations: create one (the raw token returned once), accept one (set a password).

Minimal on purpose: the full flows (listing, revoking, re-sending, e-mail) build on this model."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenant_apps.core.errors import InvalidInput, NotFound
from tenant_apps.core.limits import quota_check
from tenant_apps.core.models import Invitation
from tenant_apps.core.roles import Role

INVITATION_LIFETIME = timedelta(days=7)


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def members_count(*, excluding_email: str = "") -> int:
    """Active accounts of the tenant: the plan's ``members`` quota counts these."""
    users = get_user_model().objects.filter(is_active=True)
    return users.exclude(email__iexact=excluding_email).count() if excluding_email \
        else users.count()


def _seats_taken(*, email: str) -> int:
    """Members and open invitations to people who are not members yet, leaving ``email`` out:
    an invitation holds a seat until it is used or expires, so that accepting it never fails."""
    active_emails = get_user_model().objects.filter(is_active=True).values("email")
    pending = (Invitation.objects.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
               .exclude(email__iexact=email).exclude(email__in=active_emails)
               .values("email").distinct().count())
    return members_count(excluding_email=email) + pending


@transaction.atomic  # the quota's lock is held until the invitation is in
def invitation_create(*, email: str, role: str, invited_by=None) -> tuple[Invitation, str]:
    """A new invitation and its raw token (never stored; put it in the link)."""
    if role not in Role.values:
        raise InvalidInput(fields={"role": [f"Unknown role {role!r}."]})
    email = email.strip().lower()
    quota_check("members", used=lambda: _seats_taken(email=email))
    raw_token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email.strip().lower(), role=role, token_hash=hash_token(raw_token),
        expires_at=timezone.now() + INVITATION_LIFETIME, invited_by=invited_by)
    return invitation, raw_token


def invitation_get_open(*, raw_token: str) -> Invitation:
    """The invitation of ``raw_token`` if it can still be accepted; NotFound otherwise (unknown,
    expired and used tokens look alike to whoever holds one)."""
    invitation = Invitation.objects.filter(token_hash=hash_token(raw_token or "")).first()
    if (invitation is None or invitation.accepted_at is not None
            or invitation.expires_at <= timezone.now()):
        raise NotFound("This invitation link is invalid or has expired.",
                       code="invitation_invalid")
    return invitation


@transaction.atomic
def invitation_accept(*, raw_token: str, password: str, full_name: str = ""):
    """Accept: the invited account (created now, or the one waiting with an unusable password)
    gets ``password`` and the invitation's role; the invitation is used up."""
    invitation = invitation_get_open(raw_token=raw_token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise NotFound("This invitation link is invalid or has expired.",
                       code="invitation_invalid")
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
    if full_name:
        user.full_name = full_name.strip()[:200]
    user.set_password(password)
    user.save()
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user
