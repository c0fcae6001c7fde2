"""The workspace's audit log in its settings (/settings/audit-log/, owners and admins), with
filters and a CSV export; and the owner's support-access switch (/settings/support-access)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from tenant_apps.core.audit_log import FILTERS, audit_csv, audit_filter
from tenant_apps.core.errors import InvalidInput
from tenant_apps.core.models import TenantAuditEntry
from tenant_apps.core.pages import page, paginate
from tenant_apps.core.roles import Role
from tenant_apps.core.services.workspace import workspace_support_access_set


def audit_page_context(request: HttpRequest, rows) -> dict:
    """Filters, one page of ``rows`` and the CSV link (shared with the console's log page)."""
    filters = {name: request.GET.get(name, "") for name in FILTERS}
    error = ""
    try:
        rows = audit_filter(rows, request.GET)
    except InvalidInput as exc:
        error = " ".join(m for ms in exc.fields.values() for m in ms)
        rows = rows.none()
    page_obj = paginate(request, rows)
    for entry in page_obj.object_list:
        entry.detail_text = json.dumps(entry.detail, sort_keys=True, default=str)[:300]
    params = request.GET.copy()
    params.pop("page", None)
    params["format"] = "csv"
    return {"page_obj": page_obj, "error": error, "csv_url": "?" + params.urlencode(),
            "filters": {**filters, "any": any(filters.values())}}


def audit_csv_response(request: HttpRequest, rows, name: str) -> HttpResponse:
    try:
        rows = audit_filter(rows, request.GET)
    except InvalidInput as exc:
        return HttpResponse(" ".join(m for ms in exc.fields.values() for m in ms),
                            status=400, content_type="text/plain")
    response = StreamingHttpResponse(audit_csv(rows.iterator(chunk_size=500)),
                                     content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-audit-{stamp}.csv"'
    return response


@page(Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    rows = TenantAuditEntry.objects.all()
    if request.GET.get("format") == "csv":
        return audit_csv_response(request, rows, "workspace")
    return render(request, "tenant/audit_log.html", audit_page_context(request, rows))


@page(Role.OWNER)
def support_access(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        enabled = request.POST.get("enabled") == "on"
        workspace_support_access_set(enabled=enabled)
        messages.success(request, "Support access is on: platform operators may view as a "
                         "member to help." if enabled else "Support access is off.")
    return redirect("web-settings")


urlpatterns = [
    path("settings/audit-log/", audit_log, name="web-audit-log"),
    path("settings/support-access", support_access, name="web-support-access"),
]
