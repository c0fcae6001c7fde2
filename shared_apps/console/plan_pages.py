"""The console's plans: the Plans section (every plan, its limits, features and tenants) and the
"Plan & usage" panel of a tenant's page (limits against the latest usage, a change-plan form,
per-tenant feature overrides). Every change goes through the audited services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shared_apps.console.access import operator_page
from tenant_apps.core.errors import PlatformError
from tenant_apps.core.limits import LIMIT_LABELS, MB, limits_for
from tenant_apps.core.limits_overview import effective_rate_label
from tenants.plan_models import LIMIT_FIELDS, Plan
from tenants.plans.selectors import plan_list, tenant_plan, tenant_usage_latest
from tenants.plans.services import tenant_feature_override, tenant_plan_change
from tenants.selectors import tenant_get


def _number(value: int | float | None) -> str | None:
    return None if value is None else f"{value:,}"


def _limit_rows(plan: Plan) -> list[dict]:
    return [{"label": LIMIT_LABELS[name], "value": _number(getattr(plan, name))}
            for name in LIMIT_FIELDS]


@operator_page
def plans(request: HttpRequest) -> HttpResponse:
    rows = [{"plan": p, "limits": _limit_rows(p)} for p in plan_list()]
    return render(request, "console/plans.html", {
        "rows": rows, "limit_labels": [LIMIT_LABELS[n] for n in LIMIT_FIELDS]})


def _usage_rows(tenant, limits, usage) -> list[dict]:
    """Each limit with what the tenant uses (from the latest collected figures)."""
    used = {}
    if usage is not None:
        used = {"members": usage.members,
                "products": usage.rows.get("inventory.products"),
                "employees": usage.rows.get("attendance.employees"),
                "storage_mb": round(usage.schema_bytes / MB, 1)}
    rows = []
    for name in LIMIT_FIELDS:
        limit, current = limits.limit(name), used.get(name)
        percent = (min(100, round(100 * current / limit)) if limit and current is not None
                   else None)
        shown = (effective_rate_label(limit) if name == "api_requests_per_minute"
                 else _number(limit))
        rows.append({"label": LIMIT_LABELS[name], "limit": shown,
                     "used": _number(current), "percent": percent})
    return rows


def tenant_plan_panel(request: HttpRequest, tenant) -> str:
    """The "Plan & usage" panel of the console's tenant page (console/panels.py)."""
    limits = limits_for(tenant)
    usage = tenant_usage_latest(tenant=tenant)
    current = tenant_plan(tenant)
    return render_to_string("console/_plan_panel.html", {
        "tenant": tenant, "plan": current, "plans": Plan.objects.all(),
        "rows": _usage_rows(tenant, limits, usage), "usage": usage,
        "features": sorted(limits.features),
        "overrides": sorted((tenant.feature_overrides or {}).items()),
        "next": request.get_full_path(),
    }, request=request)


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("console:plans")
    return HttpResponseRedirect(target)


@operator_page
@require_POST
def tenant_plan_set(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        tenant_get(slug=slug)
        tenant_plan_change(slug=slug, plan=request.POST.get("plan", ""))
    except PlatformError as exc:
        messages.error(request, exc.message if not exc.fields else
                       " ".join(m for ms in exc.fields.values() for m in ms))
    else:
        messages.success(request, f"{slug} is on plan {request.POST.get('plan')}.")
    return _back(request)


@operator_page
@require_POST
def tenant_feature_set(request: HttpRequest, slug: str) -> HttpResponse:
    value = request.POST.get("value", "")
    enabled = {"on": True, "off": False, "plan": None}.get(value, "bad")
    try:
        if enabled == "bad":
            raise PlatformError("Choose on, off or as the plan says.")
        tenant_feature_override(slug=slug, feature=request.POST.get("feature", "").strip(),
                                enabled=enabled)
    except PlatformError as exc:
        messages.error(request, exc.message if not exc.fields else
                       " ".join(m for ms in exc.fields.values() for m in ms))
    else:
        messages.success(request, "Feature override saved.")
    return _back(request)
