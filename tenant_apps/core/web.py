"""Pages of a tenant host that belong to no feature app: the dashboard (each app's panel from
its contract), the style guide, workspace settings, API keys and accepting an invitation."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import include, path
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache

from tenant_apps.core.contract import tenant_app_contracts
from tenant_apps.core.errors import InvalidInput, NotFound, PlatformError
from tenant_apps.core.forms import ApiKeyForm, TwoFactorPolicyForm, WorkspaceSettingsForm
from tenant_apps.core.limits import current_limits
from tenant_apps.core.limits_overview import limits_overview
from tenant_apps.core.models import ApiKey, Job, JobStatus
from tenant_apps.core.pages import can, page, show_errors, workspace
from tenant_apps.core.roles import Role
from tenant_apps.core.services.api_keys import api_key_create, api_key_revoke
from tenant_apps.core.services.invitations import invitation_accept, invitation_get_open
from tenant_apps.core.services.workspace import (
    workspace_settings_update,
    workspace_two_factor_set,
)
from tenant_apps.core.team_pages import urlpatterns as team_urlpatterns


@page()
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: one panel per app that declares one (key figures and a small chart)."""
    panels = []
    for contract in tenant_app_contracts():
        if contract.dashboard:
            template, context = import_string(contract.dashboard)(request)
            panels.append(render_to_string(template, context, request))
    return render(request, "tenant/home.html", {"panels": panels})


@page()
def styleguide(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(data={"name": "", "scope": "read", "expires_in": ""})
    form.is_valid()
    return render(request, "tenant/styleguide.html", {"form": form, "percent": 62})


@page(Role.ADMIN)
def workspace_settings(request: HttpRequest) -> HttpResponse:
    current = workspace(request)
    form = WorkspaceSettingsForm(request.POST or None, initial={
        "display_name": current.display_name, "time_zone": current.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            workspace_settings_update(**form.cleaned_data)
        except PlatformError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, "Settings saved.")
            return redirect("web-settings")
    policy = TwoFactorPolicyForm(initial={"require_two_factor": current.require_two_factor})
    return render(request, "tenant/settings.html", {
        "form": form, "policy": policy, "settings_row": current, "plan": current_limits(),
        "limits": limits_overview(), "features": sorted(current_limits().features)})


@page(Role.OWNER)
def two_factor_policy(request: HttpRequest) -> HttpResponse:
    """The owner's switch: two-factor required of every member, or not."""
    form = TwoFactorPolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        required = form.cleaned_data["require_two_factor"]
        workspace_two_factor_set(required=required, changed_by=request.user)
        messages.success(request, "Two-factor is now required of every member." if required
                         else "Two-factor is now optional.")
    return redirect("web-settings")


@page(Role.ADMIN)
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in"]
        try:
            created = api_key_create(
                name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
                created_by=request.user,
                expires_at=timezone.now() + timedelta(days=days) if days else None)
        except PlatformError as exc:
            show_errors(form, exc, aliases={"expires_at": "expires_in"})
        else:
            form = ApiKeyForm()
    keys = ApiKey.objects.select_related("created_by")
    return render(request, "tenant/api_keys.html",
                  {"form": form, "created": created, "keys": keys})


@page(Role.ADMIN)
def api_key_revoke_page(request: HttpRequest, key_id: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("web-keys")
    key = get_object_or_404(ApiKey, pk=key_id)
    api_key_revoke(key_id=key.pk)
    messages.success(request, f"Key {key.prefix} revoked: requests with it now get 401.")
    return redirect("web-keys")


JOB_TITLES = {"inventory.import_products": "Product import", "inventory.import_stock":
              "Stock import", "inventory.export_products": "Product export",
              "inventory.export_stock": "Stock export"}


@page()
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's progress; the fragment polls itself (HTMX) until the job has finished. Admins
    see every job of the workspace, others the jobs they started (as in the API)."""
    jobs = Job.objects.defer("input_text", "output_text")
    if not can(request, Role.ADMIN):
        jobs = jobs.filter(created_by=request.user)
    job = get_object_or_404(jobs, pk=pk)
    has_output = (job.status == JobStatus.SUCCEEDED
                  and Job.objects.filter(pk=job.pk).exclude(output_text="").exists())
    context = {"job": job, "has_output": has_output,
               "title": JOB_TITLES.get(job.kind, job.kind.split(".")[-1].replace("_", " ")
                                       .capitalize()),
               "back": f"/{job.kind.split('.')[0]}/"}
    if request.htmx:
        return render(request, "ui/job_progress.html", context)
    return render(request, "tenant/job.html", context)


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, required=False, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput, label="Choose a password")
    password_again = forms.CharField(widget=forms.PasswordInput, label="Password again")

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data


@never_cache
def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password for an invited account, then sign in. A bad or used link is a 404 page."""
    try:
        invitation = invitation_get_open(raw_token=token)
    except NotFound:
        return render(request, "tenant/invitation_accept.html", {"invalid": True}, status=404)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(raw_token=token, password=form.cleaned_data["password"],
                                     full_name=form.cleaned_data["full_name"])
        except InvalidInput as exc:
            for message in exc.fields.get("password", []):
                form.add_error("password", message)
        except NotFound:
            return render(request, "tenant/invitation_accept.html", {"invalid": True},
                          status=404)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
    return render(request, "tenant/invitation_accept.html",
                  {"form": form, "invitation": invitation})


urlpatterns = [
    *team_urlpatterns,
    path("jobs/<int:pk>/", job_detail, name="web-job"),
    path("", home, name="home"),
    path("styleguide/", styleguide, name="styleguide"),
    path("settings/", workspace_settings, name="web-settings"),
    path("settings/two-factor/", two_factor_policy, name="web-two-factor"),
    path("settings/api-keys/", api_keys, name="web-keys"),
    path("settings/api-keys/<int:key_id>/revoke", api_key_revoke_page, name="web-key-revoke"),
    path("invitations/<str:token>", invitation_accept_page, name="invitation-accept"),
    path("", include("tenant_apps.core.audit_web")),  # audit log, support access
]
