"""Liveness and readiness probes, served on every host (public and tenant) and on any host at all
through ``HealthProbeMiddleware``: a Kubernetes probe sends the pod's IP as Host, a load
balancer's check often its own address, and neither is a tenant."""

from __future__ import annotations

from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from tenant_apps.core.outages import RETRY_AFTER_SECONDS


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing, so a database outage does not get every
    web process restarted."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return f"database unreachable: {exc.__class__.__name__}"
    return None


def _check_redis() -> str | None:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1,
                                      socket_connect_timeout=1)
        client.ping()
    except redis.RedisError as exc:
        return f"redis unreachable: {exc.__class__.__name__}"
    return None


def _check_migrations() -> str | None:
    """Unapplied migrations of the public schema (tenant schemas are migrated by the same
    release step, after public)."""
    from tenants.migration_state import pending_migrations

    try:
        pending = pending_migrations(settings.PUBLIC_SCHEMA_NAME)
    except Exception as exc:
        return f"migration state unknown: {exc.__class__.__name__}"
    if pending is None:
        return "public schema not migrated"
    if pending:
        return f"{len(pending)} unapplied migration(s)"
    return None


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "redis": _check_redis()}
    checks["migrations"] = _check_migrations() if checks["database"] is None else "skipped"
    failing = {name: problem for name, problem in checks.items() if problem}
    # "failing" names the dependencies at fault (the migrations check is skipped, not failing,
    # when the database is down), so a probe's log says which one at a glance.
    body = {
        "status": "ok" if not failing else "unavailable",
        "failing": [name for name, problem in failing.items() if problem != "skipped"],
        "checks": {name: (problem or "ok") for name, problem in checks.items()},
    }
    response = JsonResponse(body, status=503 if failing else 200)
    if failing:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class HealthProbeMiddleware:
    """Answers exactly ``GET``/``HEAD`` ``/healthz`` and ``/readyz`` before host routing, whatever
    the Host header says. Everything else (other paths, other methods) goes on to the routing
    middleware untouched, so an unknown host still gets its 404 there.

    First in MIDDLEWARE, so neither ALLOWED_HOSTS (CommonMiddleware) nor the HTTPS redirect
    (SecurityMiddleware, production) turns a probe over plain HTTP to a pod IP away."""

    PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
        "/healthz": healthz, "/readyz": readyz,
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.PROBES.get(request.path_info)
        if probe is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        # A probe is no tenant's request: leave no tenant schema selected (as routing does for
        # the public host). Lazy: the SET goes out only with /readyz's first query.
        if connection.schema_name != settings.PUBLIC_SCHEMA_NAME:
            connection.set_schema_to_public()
        response = probe(request)
        if request.method == "HEAD":
            # The handler strips bodies of HEAD responses only for views it dispatched itself.
            response.content = b""
        return response
