"""The answer to ``tenant_apps.core.limits``: a tenant's plan limits and resolved features.

Every process keeps the plans (a handful of rows) and, for schemas met without their Tenant row
(``schema_context``, tasks of the CLI), each schema's plan and overrides. A tenant routed by
host already carries ``plan_id`` and ``feature_overrides`` (the router reads the whole row), so a
warm call runs no query and no I/O at all: this runs on every API request (the rate limit).

Invalidation: a change to a Plan or to a Tenant's plan or overrides clears this process's cache
at once and, after the commit, increments a version in Redis; every process compares its
version with Redis at most once per ``TENANT_ROUTING_CHECK_SECONDS`` (one GET) and drops its
cache when it moved, as the router does for routes (tenants/routing.py). The router drops a
changed Tenant row the same way, so both halves of the answer move together.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import redis
from django.conf import settings
from django.db import connection, transaction

from tenant_apps.core.limits import UNLIMITED, Limits, resolve_features

logger = logging.getLogger(__name__)

VERSION_KEY = "saas:limits:version"


class LimitsCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[int, dict] | None = None
        self._default_plan_id: int | None = None
        self._schemas: dict[str, tuple[int | None, dict] | None] = {}
        self._limits: dict[tuple, Limits] = {}
        self._version: bytes | None = None
        self._checked_at = 0.0
        self._redis: redis.Redis | None = None

    # -- the provider -------------------------------------------------------------------------
    def limits_for(self, tenant) -> Limits:
        self._refresh_if_due()
        if hasattr(tenant, "plan_id"):  # a tenants.Tenant
            plan_id, overrides = tenant.plan_id, tenant.feature_overrides or {}
        else:
            row = self._schema_row(getattr(tenant, "schema_name", ""))
            if row is None:  # public, the template, a pooled schema
                return UNLIMITED
            plan_id, overrides = row
        key = (plan_id, tuple(sorted(overrides.items())))
        limits = self._limits.get(key)
        if limits is None:
            limits = self._build(plan_id, overrides)
            self._limits[key] = limits
        return limits

    def clear_local(self) -> None:
        with self._lock:
            self._plans = None
            self._schemas = {}
            self._limits = {}

    def invalidate(self) -> None:
        """Drop this process's cache now and every other process's after the commit."""
        self.clear_local()
        transaction.on_commit(self._publish)

    # -- internals ------------------------------------------------------------------------------
    def _build(self, plan_id: int | None, overrides: dict) -> Limits:
        plans = self._load_plans()
        plan = plans.get(plan_id) if plan_id is not None else None
        if plan is None:
            plan = plans.get(self._default_plan_id)
        if plan is None:
            return Limits(features=resolve_features((), overrides))
        return Limits(plan=plan["slug"], plan_name=plan["name"], members=plan["members"],
                      products=plan["products"], employees=plan["employees"],
                      api_requests_per_minute=plan["api_requests_per_minute"],
                      storage_mb=plan["storage_mb"],
                      features=resolve_features(plan["features"], overrides))

    def _load_plans(self) -> dict[int, dict]:
        plans = self._plans
        if plans is not None:
            return plans
        from tenants.plan_models import Plan

        # Named outright in public: the connection may be in a tenant (tenants/routing.py).
        table = f"{_q(settings.PUBLIC_SCHEMA_NAME)}.{_q(Plan._meta.db_table)}"
        rows = Plan.objects.raw(f"SELECT * FROM {table}")  # noqa: S608 (quoted names)
        plans = {p.pk: {"slug": p.slug, "name": p.name, "features": list(p.features or []),
                        "is_default": p.is_default, **p.limits()} for p in rows}
        with self._lock:
            self._plans = plans
            self._default_plan_id = next(
                (pk for pk, p in plans.items() if p["is_default"]), None)
        return plans

    def _schema_row(self, schema: str) -> tuple[int | None, dict] | None:
        if not schema or schema == settings.PUBLIC_SCHEMA_NAME:
            return None
        if schema in self._schemas:
            return self._schemas[schema]
        from tenants.models import Tenant

        table = f"{_q(settings.PUBLIC_SCHEMA_NAME)}.{_q(Tenant._meta.db_table)}"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT plan_id, feature_overrides FROM {table} "  # noqa: S608
                           "WHERE schema_name = %s", [schema])
            found = cursor.fetchone()
        # Django's psycopg set-up hands jsonb over as text (the field decodes it).
        overrides = found[1] if found is None or not isinstance(found[1], str) \
            else json.loads(found[1])
        row = None if found is None else (found[0], overrides or {})
        with self._lock:
            self._schemas[schema] = row
        return row

    def _refresh_if_due(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < settings.TENANT_ROUTING_CHECK_SECONDS:
            return
        self._checked_at = now
        try:
            version = self._client().get(VERSION_KEY)
        except redis.RedisError:
            # Cannot know what changed: ask the database again (plans are a handful of rows).
            logger.warning("Redis unavailable for limits invalidation; dropping cached plans")
            self.clear_local()
            self._version = None
            return
        if version != self._version:
            self.clear_local()
            self._version = version

    def _publish(self) -> None:
        try:
            self._client().incr(VERSION_KEY)
        except redis.RedisError:
            logger.warning("Could not publish a plan change to Redis; other processes keep "
                           "their cached plans until Redis is back", exc_info=True)

    def _client(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5,
                                               socket_connect_timeout=0.5)
        return self._redis


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


limits_cache = LimitsCache()


def install() -> None:
    """Answer the core's limits questions, and forget cached answers when plans or a tenant's
    plan or overrides change (called from the tenants app's ``ready``)."""
    from django.db.models.signals import post_delete, post_save

    from tenant_apps.core.limits import install_limits_provider
    from tenants.models import Tenant
    from tenants.plan_models import Plan

    install_limits_provider(limits_cache.limits_for)
    for model in (Plan, Tenant):
        for signal in (post_save, post_delete):
            signal.connect(_changed, sender=model, dispatch_uid=f"limits_{model.__name__}")


def _changed(**_kwargs) -> None:
    limits_cache.invalidate()
