"""The current tenant's limits next to what it uses, for the workspace settings page."""

from __future__ import annotations

from django.conf import settings

from tenant_apps.core.api.throttling import parse_rate
from tenant_apps.core.contract import tenant_app_contracts
from tenant_apps.core.limits import LIMIT_LABELS, MB, current_limits, storage_used_bytes
from tenant_apps.core.services.invitations import members_count


def limits_overview() -> list[dict]:
    """Each limit of the current tenant's plan with what the tenant uses now, counted live in
    its own schema (for the workspace settings page). A feature app's usage counter named like
    a limit (``usage_counters={"products": ...}``) is that limit's use."""
    limits = current_limits()
    counters = {name: model for contract in tenant_app_contracts()
                for name, model in contract.usage_models().items()}
    rows = []
    for name, label in LIMIT_LABELS.items():
        limit = limits.limit(name)
        if name == "members":
            used = members_count()
        elif name == "storage_mb":
            used = round(storage_used_bytes() / MB, 1)
        elif name in counters:
            used = counters[name].objects.count()
        else:
            used = None  # a rate: nothing to add up
        percent = min(100, round(100 * used / limit)) if limit and used is not None else None
        shown = None if limit is None else f"{limit:,}"
        if name == "api_requests_per_minute":
            shown = effective_rate_label(limit)
        rows.append({"name": name, "label": label, "limit": shown,
                     "used": None if used is None else f"{used:,}", "percent": percent})
    return rows


def effective_rate_label(per_minute: int | None) -> str:
    """The plan's rate, or the platform's ceiling when the plan sets none (the stricter one
    applies: tenant_apps/core/api/throttling.py)."""
    rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get("tenant")
    if not rate:
        return "unlimited" if per_minute is None else f"{per_minute:,}"
    count, seconds = parse_rate(rate)
    ceiling = count * 60 / seconds
    if per_minute is None or per_minute > ceiling:
        return f"{ceiling:,.0f} (platform limit)"
    return f"{per_minute:,}"
