"""Panels of the console's tenant page that other parts of the platform contribute (plan and
usage, audit trail, placement on the Citus cluster...), so that the page lists them without
knowing them. A panel is a callable ``(request, tenant) -> str`` (rendered HTML, or "" to show
nothing), named here by its dotted path."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.module_loading import import_string

TENANT_PANELS: list[str] = [
    # e.g. "shared_apps.console.plan_pages.tenant_plan_panel",
    "shared_apps.console.cluster_pages.tenant_placement_panel",
    "shared_apps.console.audit_pages.tenant_audit_panel",
    "shared_apps.console.audit_pages.tenant_support_panel",
    "shared_apps.console.plan_pages.tenant_plan_panel",
]


def tenant_panels(request: HttpRequest, tenant) -> list[str]:
    return [html for html in (import_string(p)(request, tenant) for p in TENANT_PANELS) if html]
