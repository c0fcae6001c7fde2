"""Reads on plans and usage for the console, the operator API and the CLI."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from tenant_apps.core.errors import InvalidInput
from tenants.models import Tenant
from tenants.plan_models import Plan, TenantUsage


def plan_get(*, slug: str, field: str = "plan") -> Plan:
    """The plan, or a 400 naming ``field`` and the plans there are."""
    plan = Plan.objects.filter(slug=slug).first()
    if plan is None:
        known = ", ".join(Plan.objects.values_list("slug", flat=True))
        raise InvalidInput(fields={field: [f"Unknown plan '{slug}'. Plans: {known}."]})
    return plan


def plan_list() -> list[Plan]:
    """Every plan with ``tenant_count`` (tenants without a plan count for the default one)."""
    plans = list(Plan.objects.annotate(tenant_count=Count("tenants")))
    unset = Tenant.objects.filter(plan__isnull=True).count()
    for plan in plans:
        if plan.is_default:
            plan.tenant_count += unset
    return plans


def tenant_plan(tenant: Tenant) -> Plan | None:
    return tenant.plan if tenant.plan_id else Plan.objects.filter(is_default=True).first()


def tenant_usage_history(*, tenant: Tenant, days: int = 30) -> QuerySet[TenantUsage]:
    return TenantUsage.objects.filter(tenant=tenant).order_by("-day")[:days]


def tenant_usage_latest(*, tenant: Tenant) -> TenantUsage | None:
    return TenantUsage.objects.filter(tenant=tenant).order_by("-day").first()


def tenants_usage_latest(*, tenant_ids: list[int]) -> dict[int, TenantUsage]:
    """The latest collected usage of each of ``tenant_ids``, in one query (``DISTINCT ON``):
    what a list of tenants shows, instead of counting rows in each tenant's schema."""
    latest = (TenantUsage.objects.filter(tenant_id__in=tenant_ids)
              .order_by("tenant_id", "-day").distinct("tenant_id"))
    return {usage.tenant_id: usage for usage in latest}
