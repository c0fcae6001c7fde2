"""The console's audit section: the platform log (/console/audit/) and a tenant's own log
(/console/audit/tenants/<slug>/), both filterable and exportable as CSV; and, for the tenant
page, the audit trail panel and the support panel whose "View as" buttons start an
impersonation (tenants/impersonation.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

from shared_apps.audit.models import PlatformAuditEntry
from shared_apps.console.access import operator_page
from tenant_apps.core.audit_web import audit_csv_response, audit_page_context
from tenant_apps.core.errors import PlatformError
from tenant_apps.core.models import TenantAuditEntry
from tenants.impersonation import (
    impersonation_start,
    link_address,
    tenant_users_for_support,
)
from tenants.models import Tenant, TenantState

PANEL_ROWS = 8


def _tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.exclude(schema_name="public").filter(slug=slug).first()
    if tenant is None:
        raise Http404(f"No tenant '{slug}'.")
    return tenant


def _has_schema(tenant: Tenant) -> bool:
    return tenant.state in (TenantState.ACTIVE, TenantState.SUSPENDED)


@operator_page
def platform_log(request: HttpRequest) -> HttpResponse:
    if request.GET.get("tenant"):  # the "open a workspace's log" form
        return redirect("console:audit-tenant", slug=_tenant(request.GET["tenant"]).slug)
    rows = PlatformAuditEntry.objects.all()
    if request.GET.get("format") == "csv":
        return audit_csv_response(request, rows, "platform")
    tenants = (Tenant.objects.exclude(schema_name="public")
               .filter(state__in=[TenantState.ACTIVE, TenantState.SUSPENDED])
               .order_by("slug").values_list("slug", flat=True)[:500])
    return render(request, "console/audit_log.html", {
        **audit_page_context(request, rows), "title": "Platform audit log", "tenant": None,
        "tenant_slugs": tenants})


@operator_page
def tenant_log(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _tenant(slug)
    if not _has_schema(tenant):
        raise Http404(f"Tenant '{slug}' is {tenant.state}: its log left with its schema.")
    with schema_context(tenant.schema_name):
        rows = TenantAuditEntry.objects.all()
        if request.GET.get("format") == "csv":
            # Streamed after this block returns: read every row now, inside the schema.
            response = audit_csv_response(request, rows, slug)
            response.streaming_content = list(response.streaming_content)
            return response
        context = audit_page_context(request, rows)
    return render(request, "console/audit_log.html", {
        **context, "title": f"Audit log of {tenant.name}", "tenant": tenant,
        "support_panel": tenant_support_panel(request, tenant)})


@operator_page
@require_POST
def impersonate(request: HttpRequest, slug: str) -> HttpResponse:
    """Start a "view as" and send the operator's browser straight to the link."""
    try:
        started = impersonation_start(slug=slug, user_email=request.POST.get("user_email", ""),
                                      operator=request.user, **link_address(request))
    except PlatformError as exc:
        message = " ".join([exc.message, *(m for ms in exc.fields.values() for m in ms)])
        messages.error(request, message)
        return redirect(request.POST.get("back") or reverse("console:audit-tenant", args=[slug]))
    return redirect(started.link)


def tenant_audit_panel(request: HttpRequest, tenant: Tenant) -> str:
    """The tenant page's audit trail: what the platform did to the tenant, and the newest
    entries of the tenant's own log."""
    platform_rows = list(PlatformAuditEntry.objects.filter(target=tenant.slug)[:PANEL_ROWS])
    tenant_rows = []
    if _has_schema(tenant):
        with schema_context(tenant.schema_name):
            tenant_rows = list(TenantAuditEntry.objects.all()[:PANEL_ROWS])
    return render_to_string("console/_audit_panel.html", {
        "tenant": tenant, "platform_rows": platform_rows, "tenant_rows": tenant_rows,
        "has_schema": _has_schema(tenant)}, request)


def tenant_support_panel(request: HttpRequest, tenant: Tenant) -> str:
    """The tenant's members, each with a "View as" button (active tenants only)."""
    if tenant.state != TenantState.ACTIVE:
        return ""
    from tenant_apps.core.services.workspace import workspace_settings_get

    with schema_context(tenant.schema_name):
        consent = workspace_settings_get().support_access
    return render_to_string("console/_support_panel.html", {
        "tenant": tenant, "users": tenant_users_for_support(tenant=tenant),
        "consent": consent, "back": request.get_full_path()}, request)


urlpatterns = [
    path("", platform_log, name="audit"),
    path("tenants/<slug:slug>/", tenant_log, name="audit-tenant"),
    path("tenants/<slug:slug>/impersonate", impersonate, name="impersonate"),
]
