"""Reads of the team: the active members and the pending invitations of this tenant."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from tenant_apps.core.models import Invitation
from tenant_apps.core.roles import ROLE_RANK, Role
from tenant_apps.core.selectors.two_factor import with_two_factor


def member_list() -> QuerySet:
    """Active members, e-mail order (removed members are deactivated rows, not shown)."""
    return with_two_factor(get_user_model().objects.filter(is_active=True).order_by("email"))


def invitation_list_pending() -> QuerySet:
    """Not accepted and not revoked; expired ones included (they can be re-sent)."""
    return (Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
            .select_related("invited_by").order_by("-created_at"))


def roles_assignable(actor_role: str) -> list[tuple[str, str]]:
    """The roles ``actor_role`` may give: an owner any, an admin all but owner."""
    return [(value, label) for value, label in Role.choices
            if actor_role == Role.OWNER or ROLE_RANK[Role(value)] < ROLE_RANK[Role.OWNER]]
