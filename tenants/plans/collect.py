"""The usage collector: one TenantUsage row per tenant per day, in ``public``.

Run by Celery beat every hour (``tenants.usage_collect``), which fans out one task per batch of
tenants; each run rewrites the day's row, so gauges are the day's latest and a missed run loses
nothing. Per tenant it costs one SQL statement (every figure is a sub-select on the tenant's
tables, named outright, so the connection never switches schema) and, per batch, one Redis
round trip for the request counters (tenant_apps/core/usage_counters.py) and one upsert.

Figures: members (active accounts), rows per tenant app (each contract's ``usage_counters``),
schema size (``pg_total_relation_size`` of every table: data, indexes and TOAST), API requests
and jobs of the day, last activity (the latest of an API request, a sign-in and a job).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from tenant_apps.core.catalog import RELATIONS_OF_NAMED_SCHEMA
from tenant_apps.core.contract import tenant_app_contracts
from tenant_apps.core.models import Job
from tenant_apps.core.usage_counters import usage_counters_read
from tenants.models import Tenant, TenantState
from tenants.plan_models import TenantUsage

BATCH = 200
UPDATED = ["members", "rows", "schema_bytes", "api_requests", "jobs", "last_activity_at"]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _counters() -> list[tuple[str, str]]:
    """``[("inventory.products", "inventory_product"), ...]``: what to count, and where."""
    return [(f"{c.label}.{name}", model._meta.db_table) for c in tenant_app_contracts()
            for name, model in c.usage_models().items()]


def _statement(schema: str, counters: list[tuple[str, str]]) -> str:
    s = _q(schema)
    user_table = f"{s}.{_q(get_user_model()._meta.db_table)}"
    job_table = f"{s}.{_q(Job._meta.db_table)}"
    # Every name below is quoted by the backend; every value is a bound parameter.
    parts = [
        f"(SELECT count(*) FROM {user_table} WHERE is_active)",  # noqa: S608
        f"(SELECT max(last_login) FROM {user_table})",  # noqa: S608
        f"(SELECT count(*) FROM {job_table} WHERE created_at >= %s AND created_at < %s)",  # noqa: S608
        f"(SELECT max(created_at) FROM {job_table})",  # noqa: S608
        "(SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "  # noqa: S608 (a constant subquery)
        f"WHERE c.oid IN {RELATIONS_OF_NAMED_SCHEMA} AND c.relkind IN ('r', 'm'))",
        *(f"(SELECT count(*) FROM {s}.{_q(table)})" for _, table in counters),  # noqa: S608
    ]
    return "SELECT " + ", ".join(parts)


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def usage_collect(*, tenants: Iterable[Tenant] | None = None, day: dt.date | None = None) -> int:
    """Measure ``tenants`` (default: every tenant with a schema) for ``day`` (default: today,
    UTC) and store their rows. Returns how many were written."""
    day = day or timezone.now().astimezone(dt.UTC).date()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    if tenants is None:
        tenants = Tenant.objects.filter(state__in=[TenantState.ACTIVE, TenantState.SUSPENDED])
    tenants = list(tenants)
    counters = _counters()
    client = _redis()
    connection.set_schema_to_public()
    written = 0
    for i in range(0, len(tenants), BATCH):
        batch = tenants[i:i + BATCH]
        try:
            requests = usage_counters_read(client, [t.schema_name for t in batch], day)
        except redis.RedisError:
            requests = {}  # the database figures are still worth storing
        rows = []
        with connection.cursor() as cursor:
            for tenant in batch:
                cursor.execute(_statement(tenant.schema_name, counters),
                               [start, end, tenant.schema_name])
                members, last_login, jobs, last_job, size, *counts = cursor.fetchone()
                api, last_api = requests.get(tenant.schema_name, (0, None))
                seen = [t for t in (last_login, last_job, last_api) if t is not None]
                rows.append(TenantUsage(
                    tenant=tenant, day=day, members=members, schema_bytes=size,
                    api_requests=api, jobs=jobs, last_activity_at=max(seen) if seen else None,
                    rows={name: n for (name, _), n in zip(counters, counts, strict=True)}))
        TenantUsage.objects.bulk_create(rows, update_conflicts=True,
                                        unique_fields=["tenant", "day"],
                                        update_fields=[*UPDATED, "collected_at"])
        written += len(rows)
    return written


def usage_batches() -> list[list[int]]:
    """The ids of the tenants to measure, in batches of BATCH (one task each)."""
    ids = list(Tenant.objects.filter(state__in=[TenantState.ACTIVE, TenantState.SUSPENDED])
               .order_by("pk").values_list("pk", flat=True))
    return [ids[i:i + BATCH] for i in range(0, len(ids), BATCH)]
