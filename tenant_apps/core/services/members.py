"""The team: change a member's role, remove a member (or leave), transfer ownership.

The role rules, enforced here for the web pages and the API alike:

* managing others needs at least an admin; an admin manages members, viewers and admins;
* only an owner touches owners: changes an owner's role, removes an owner, makes someone owner;
* the last owner can be neither demoted nor removed, and cannot leave;
* anyone may leave (remove themselves), the last owner excepted.

``actor_role`` is the role the caller acts with: the user's role on a page, the key-capped
role for an API key (a key never acts as owner, see tenant_apps.core.api.permissions).

A removed member is deactivated, not deleted (their name stays on what they created); their
API keys are revoked and their password made unusable, so their sessions (refused by Django for
an inactive user, and whose password hash no longer matches) and keys stop working on the very
next request. Inviting the address again brings the account back."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tenant_apps.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tenant_apps.core.models import ApiKey
from tenant_apps.core.roles import Role, role_at_least
from tenant_apps.core.services.audit import tenant_audit

LAST_OWNER = "A workspace needs an owner: make someone else owner first."


def _active_owners_locked() -> list[int]:
    # Locks the owners' rows: two owners demoting each other at once cannot leave none.
    return list(get_user_model().objects.select_for_update()
                .filter(role=Role.OWNER, is_active=True).values_list("pk", flat=True))


def _check_may_manage(*, actor, actor_role: str, member, new_role: str | None = None) -> None:
    if not role_at_least(actor_role, Role.ADMIN):
        raise Forbidden("Only admins and owners can manage members.")
    if (member.role == Role.OWNER or new_role == Role.OWNER) and actor_role != Role.OWNER:
        raise Forbidden("Only an owner can change an owner or make someone owner.",
                        code="owner_only")


def _locked_member(member):
    locked = get_user_model().objects.select_for_update().filter(pk=member.pk,
                                                                  is_active=True).first()
    if locked is None:
        raise NotFound("No such member.")
    return locked


@transaction.atomic
def member_change_role(*, actor, actor_role: str, member, role: str):
    if role not in Role.values:
        raise InvalidInput(fields={"role": [f"Choose one of: {', '.join(Role.values)}."]})
    member = _locked_member(member)
    _check_may_manage(actor=actor, actor_role=actor_role, member=member, new_role=role)
    if (member.role == Role.OWNER and role != Role.OWNER
            and _active_owners_locked() == [member.pk]):
        raise Conflict(LAST_OWNER, code="last_owner", fields={"role": [LAST_OWNER]})
    previous = member.role
    member.role = role
    member.save(update_fields=["role"])
    tenant_audit("member.role_change", target=member.email,
                 detail={"id": member.pk, "from": previous, "to": role})
    return member


@transaction.atomic
def member_remove(*, actor, actor_role: str, member) -> None:
    """Remove ``member`` (``actor`` removing themselves is leaving the workspace)."""
    member = _locked_member(member)
    if actor is None or actor.pk != member.pk:
        _check_may_manage(actor=actor, actor_role=actor_role, member=member)
    if member.role == Role.OWNER and _active_owners_locked() == [member.pk]:
        raise Conflict(LAST_OWNER, code="last_owner")
    member.is_active = False
    member.set_unusable_password()  # sessions carry a hash of it: they no longer verify
    member.save(update_fields=["is_active", "password"])
    revoked = ApiKey.objects.filter(created_by=member, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    left = actor is not None and actor.pk == member.pk
    tenant_audit("member.leave" if left else "member.remove", target=member.email,
                 detail={"id": member.pk, "role": member.role, "api_keys_revoked": revoked})


@transaction.atomic
def member_transfer_ownership(*, actor, actor_role: str, member):
    """``member`` becomes an owner and ``actor`` (an owner) an admin."""
    if actor_role != Role.OWNER or actor is None or actor.role != Role.OWNER:
        raise Forbidden("Only an owner can transfer ownership.", code="owner_only")
    member = _locked_member(member)
    if member.pk == actor.pk:
        raise InvalidInput("You already own this workspace.",
                           fields={"member": ["Choose another member."]})
    member.role = Role.OWNER
    member.save(update_fields=["role"])
    actor = _locked_member(actor)
    actor.role = Role.ADMIN
    actor.save(update_fields=["role"])
    tenant_audit("member.transfer_ownership", target=member.email,
                 detail={"id": member.pk, "previous_owner": actor.email})
    return member
