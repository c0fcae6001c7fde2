"""What the current tenant's plan allows: limits (quotas, the API rate) and feature flags.

Tenant apps may not import the control plane (import-linter forbids it), yet the plan lives
there, in ``public``. So the core defines the question and the control plane answers it: the
``tenants`` app installs a *provider* at start-up (``install_limits_provider``), a callable
``(tenant) -> Limits``. Tenant apps call only this module:

    current_limits()                  # the current tenant's Limits (connection.tenant)
    feature_enabled("webhooks")       # the current tenant
    feature_enabled(tenant, "webhooks")
    quota_check("products", used=lambda: Product.objects.count())

Why a provider rather than reading ``connection.tenant.plan``: the tenant's ``search_path``
holds its own schema only (tenants/postgresql_backend), so an ORM read of the plan from inside a
tenant fails by design; and the answer must be cheap enough for every API request (the rate
limit). The provider keeps plans and overrides in process, invalidated through Redis when an
operator changes them (tenants/plans/limits.py), so a warm call runs no query and no I/O.

Without a provider (a tenant app tested alone) or outside a tenant, everything is unlimited and
every feature is off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection

from tenant_apps.core.catalog import RELATIONS_OF_CURRENT_SCHEMA
from tenant_apps.core.errors import Conflict

LIMIT_LABELS = {
    "members": "members",
    "products": "products",
    "employees": "employees",
    "api_requests_per_minute": "API requests per minute",
    "storage_mb": "MB of storage",
}
MB = 1024 * 1024
# How long a measured schema size is trusted by the storage quota (measuring sums the size of
# every table of the schema: cheap, but not free on every write).
STORAGE_MEASURE_SECONDS = 60


@dataclass(frozen=True)
class Limits:
    plan: str = ""  # the plan's slug; "" outside a tenant
    plan_name: str = ""
    members: int | None = None  # None: unlimited
    products: int | None = None
    employees: int | None = None
    api_requests_per_minute: int | None = None
    storage_mb: int | None = None
    features: frozenset[str] = field(default_factory=frozenset)

    def limit(self, name: str) -> int | None:
        return getattr(self, name)


UNLIMITED = Limits()


class QuotaExceeded(Conflict):
    """A write the plan does not allow. 409: the request is fine, the tenant's state (its use of
    the plan) conflicts with it; upgrading the plan or deleting rows makes it succeed."""

    code = "quota_exceeded"
    message = "This would exceed your plan's limit."


def resolve_features(plan_features: Iterable[str], overrides: Mapping[str, bool]) -> frozenset:
    """A feature is on when the tenant's override says so; without an override, when the plan
    lists it; otherwise off."""
    enabled = set(plan_features)
    for name, on in overrides.items():
        if on:
            enabled.add(name)
        else:
            enabled.discard(name)
    return frozenset(enabled)


LimitsProvider = Callable[[object], Limits]
_provider: LimitsProvider | None = None


def install_limits_provider(provider: LimitsProvider | None) -> None:
    global _provider
    _provider = provider


def limits_for(tenant) -> Limits:
    if tenant is None or _provider is None:
        return UNLIMITED
    return _provider(tenant)


def current_limits() -> Limits:
    """The limits of the tenant whose schema the connection is in (django-tenants sets
    ``connection.tenant`` for a request, a task, or ``schema_context``)."""
    return limits_for(getattr(connection, "tenant", None))


def feature_enabled(*args) -> bool:
    """``feature_enabled("x")`` for the current tenant, ``feature_enabled(tenant, "x")`` for
    another: per-tenant override > plan > off."""
    if len(args) == 1:
        tenant, name = getattr(connection, "tenant", None), args[0]
    elif len(args) == 2:
        tenant, name = args
    else:
        raise TypeError("feature_enabled(name) or feature_enabled(tenant, name)")
    return name in limits_for(tenant).features


def quota_check(name: str, *, used: int | Callable[[], int], adding: int = 1) -> None:
    """Raise QuotaExceeded unless ``adding`` more of ``name`` fit in the current plan.

    Inside a transaction, the check holds a per-tenant, per-quota advisory lock until commit, so
    two requests at ``limit - 1`` cannot both pass (``used`` is counted after the lock). Nothing
    is counted on an unlimited plan."""
    limit = current_limits().limit(name)
    if limit is None:
        return
    if callable(used):
        if connection.in_atomic_block:
            _lock_quota(name)
        used = used()
    if used + adding > limit:
        label = LIMIT_LABELS.get(name, name)
        raise QuotaExceeded(
            f"Your plan allows {limit:,} {label}; you have {used:,}. "
            "Remove some or ask the platform operator for a larger plan.")


def storage_check() -> None:
    """Raise QuotaExceeded once the schema has reached the plan's storage: a write that adds
    rows is refused; deletes and updates still work, so a tenant can get back under."""
    limit = current_limits().storage_mb
    if limit is None:
        return
    used = storage_used_bytes()
    if used >= limit * MB:
        raise QuotaExceeded(
            f"Your plan allows {limit:,} MB of storage; you use {used / MB:,.1f} MB. "
            "Remove some data or ask the platform operator for a larger plan.")


def storage_used_bytes(*, fresh: bool = False) -> int:
    """The current schema's size on disk (tables, their indexes and TOAST), measured at most
    once per STORAGE_MEASURE_SECONDS (the cache key carries the schema: one per tenant)."""
    key = "limits:storage_bytes"
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "  # noqa: S608 (a constant subquery)
                       f"WHERE c.oid IN {RELATIONS_OF_CURRENT_SCHEMA} "
                       "AND c.relkind IN ('r', 'm')")
        used = int(cursor.fetchone()[0])
    cache.set(key, used, STORAGE_MEASURE_SECONDS)
    return used


def _lock_quota(name: str) -> None:
    # Advisory locks are database-wide: the key names the schema too.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || %s))",
                       [f":quota:{name}"])

