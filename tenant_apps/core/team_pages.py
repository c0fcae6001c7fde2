"""The team page (/team/): members with their role, two-factor state and last sign-in, the
pending invitations, and the forms to invite, re-send, revoke, change a role, remove a member,
leave and transfer ownership. Everyone sees the team; the services decide who may change it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from tenant_apps.core.errors import PlatformError
from tenant_apps.core.forms import InviteForm, RoleForm
from tenant_apps.core.pages import page, show_errors
from tenant_apps.core.roles import Role, role_at_least
from tenant_apps.core.selectors.team import invitation_list_pending, member_list, roles_assignable
from tenant_apps.core.selectors.two_factor import member_two_factor_enabled
from tenant_apps.core.services.invitations import (
    invitation_invite,
    invitation_resend,
    invitation_revoke,
)
from tenant_apps.core.services.members import (
    member_change_role,
    member_remove,
    member_transfer_ownership,
)


def origin(request: HttpRequest) -> str:
    """This tenant host's origin, for links in e-mails (the host the admin is using)."""
    return f"{request.scheme}://{request.get_host()}"


def workspace_name(request: HttpRequest) -> str:
    from tenant_apps.core.pages import workspace

    return workspace(request).display_name or request.tenant.name


@page()
def team(request: HttpRequest) -> HttpResponse:
    actor_role = request.user.role
    manager = role_at_least(actor_role, Role.ADMIN)
    roles = roles_assignable(actor_role)
    form = InviteForm(request.POST or None, roles=roles)
    created = None
    if request.method == "POST":
        if not manager:
            return HttpResponse("Your role does not allow this.", status=403)
        if form.is_valid():
            try:
                created = invitation_invite(
                    email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                    invited_by=request.user, actor_role=actor_role, base_url=origin(request),
                    workspace_name=workspace_name(request))
            except PlatformError as exc:
                show_errors(form, exc)
            else:
                form = InviteForm(roles=roles)
    members = [(m, member_two_factor_enabled(m), RoleForm(initial={"role": m.role},
                                                          roles=roles, prefix=f"m{m.pk}"))
               for m in member_list()]
    status = 400 if form.errors else 200
    return render(request, "tenant/team.html", {
        "form": form, "created": created, "members": members, "manager": manager,
        "is_owner": actor_role == Role.OWNER, "invitations": invitation_list_pending()},
        status=status)


def _apply(request: HttpRequest, action, success: str) -> HttpResponse:
    try:
        action()
    except PlatformError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("web-team")


def _member(pk: int):
    return get_object_or_404(member_list(), pk=pk)


@require_POST
@page()
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(pk)
    form = RoleForm(request.POST, roles=list(Role.choices), prefix=f"m{member.pk}")
    if not form.is_valid():
        messages.error(request, "Choose a role.")
        return redirect("web-team")
    role = form.cleaned_data["role"]
    return _apply(request, lambda: member_change_role(
        actor=request.user, actor_role=request.user.role, member=member, role=role),
        f"{member.email} is now {Role(role).label.lower()}.")


@require_POST
@page()
def member_remove_page(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(pk)
    if member.pk == request.user.pk:
        try:
            member_remove(actor=request.user, actor_role=request.user.role, member=member)
        except PlatformError as exc:
            messages.error(request, exc.message)
            return redirect("web-team")
        logout(request)  # left the workspace
        return redirect("login")
    return _apply(request, lambda: member_remove(
        actor=request.user, actor_role=request.user.role, member=member),
        f"{member.email} was removed: their sessions and API keys no longer work.")


@require_POST
@page(Role.OWNER)
def member_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(pk)
    return _apply(request, lambda: member_transfer_ownership(
        actor=request.user, actor_role=request.user.role, member=member),
        f"{member.email} is now an owner; you are an admin.")


@require_POST
@page(Role.ADMIN)
def invitation_resend_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        sent = invitation_resend(invitation_id=pk, actor_role=request.user.role,
                                 base_url=origin(request), sent_by=request.user,
                                 workspace_name=workspace_name(request))
    except PlatformError as exc:
        messages.error(request, exc.message)
    else:
        note = "" if sent.emailed else " (the e-mail could not be sent; try again later)"
        messages.success(request, f"Sent a new link to {sent.invitation.email}; the previous "
                                  f"link no longer works{note}.")
    return redirect("web-team")


@require_POST
@page(Role.ADMIN)
def invitation_revoke_page(request: HttpRequest, pk: int) -> HttpResponse:
    def revoke():
        invitation = invitation_revoke(invitation_id=pk, actor_role=request.user.role)
        messages.success(request, f"Invitation of {invitation.email} revoked.")

    try:
        revoke()
    except PlatformError as exc:
        messages.error(request, exc.message)
    return redirect("web-team")


urlpatterns = [
    path("team/", team, name="web-team"),
    path("team/members/<int:pk>/role", member_role, name="web-member-role"),
    path("team/members/<int:pk>/remove", member_remove_page, name="web-member-remove"),
    path("team/members/<int:pk>/transfer", member_transfer, name="web-member-transfer"),
    path("team/invitations/<int:pk>/resend", invitation_resend_page,
         name="web-invitation-resend"),
    path("team/invitations/<int:pk>/revoke", invitation_revoke_page,
         name="web-invitation-revoke"),
]


