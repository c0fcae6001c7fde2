"""Whether a member has two-factor authentication on (the members list's "2FA" column): an
authenticator app (allauth.mfa's TOTP) enrolled in this schema."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef, QuerySet


def with_two_factor(members: QuerySet) -> QuerySet:
    """``members`` annotated with ``two_factor_enabled``, in the same query (no query per row)."""
    return members.annotate(two_factor_enabled=Exists(Authenticator.objects.filter(
        user_id=OuterRef("pk"), type=Authenticator.Type.TOTP)))


def member_two_factor_enabled(user) -> bool:
    annotated = getattr(user, "two_factor_enabled", None)
    if annotated is not None:
        return bool(annotated)
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()
