"""Per-tenant usage figures for operators, from the counters each tenant app declares in its
contract (``usage_counters``): rows counted in the tenant's own schema."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tenant_apps.core.contract import tenant_app_contracts
from tenants.selectors import tenant_get


def tenant_usage(*, slug: str) -> dict[str, int]:
    """``{"<app>.<counter>": rows}`` for one tenant, e.g. ``{"inventory.products": 40}``."""
    tenant = tenant_get(slug=slug)
    counters = [(f"{c.label}.{name}", model) for c in tenant_app_contracts()
                for name, model in c.usage_models().items()]
    with schema_context(tenant.schema_name):
        return {name: model.objects.count() for name, model in counters}
