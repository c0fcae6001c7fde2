"""Host -> tenant resolution with an in-process cache.

A warm request must not touch the database to find its tenant. Each process keeps the routes it
has resolved; a change to any Tenant or Domain increments a version number in Redis, and every
process compares its version with Redis at most once per ``TENANT_ROUTING_CHECK_SECONDS``
(one Redis GET, not a database query), dropping its cache when the version moved. Several web
processes therefore agree within about a second, and a lost message cannot leave one stale
forever (a pub/sub channel could).

The Redis increment runs after the commit, so a process killed between its commit and the
increment would leave every router serving the old route (an archived tenant answering 403
instead of 404). So the router also reads a fingerprint of the registry from the database (row
counts, the latest ``Tenant.updated_at``, the highest ``Domain`` id: one small query) at most once
per ``TENANT_ROUTING_DB_CHECK_SECONDS``, and drops its routes when it moved. The fingerprint
changes in the same transaction as the change itself: nothing after the commit is needed.
Between checks a warm request still runs no query.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

VERSION_KEY = "saas:routing:version"
# Bounds the memory an attacker can make a process spend by sending random Host headers.
MAX_CACHED_HOSTS = 10_000


@dataclass(frozen=True)
class Route:
    """Where a host leads: the public site, a tenant, or nowhere (``tenant`` None, not public)."""

    is_public: bool = False
    tenant: object | None = None  # a tenants.Tenant, immutable by convention once cached

    @property
    def found(self) -> bool:
        return self.is_public or self.tenant is not None


PUBLIC_ROUTE = Route(is_public=True)
NOT_FOUND = Route()


def _redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)


class HostRouter:
    def __init__(self, check_seconds: float | None = None,
                 db_check_seconds: float | None = None) -> None:
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._version: bytes | None = None
        self._checked_at = 0.0
        self._check_seconds = check_seconds
        self._redis: redis.Redis | None = None
        self._fingerprint: tuple | None = None
        # A new router has no cached route to be stale: its first database check is due one
        # interval from now (not at once, whatever the machine's monotonic clock reads).
        self._db_checked_at = time.monotonic()
        self._db_check_seconds = db_check_seconds

    # -- public API -----------------------------------------------------------------------
    def resolve(self, host: str) -> Route:
        self._refresh_if_due()
        route = self._routes.get(host)
        if route is None:
            route = self._lookup(host)
            with self._lock:
                if len(self._routes) >= MAX_CACHED_HOSTS:
                    self._routes.clear()
                self._routes[host] = route
        return route

    def known_tenant_hosts(self) -> list[str]:
        return [host for host, route in list(self._routes.items()) if route.tenant is not None]

    def invalidate(self) -> None:
        """Drop this process's routes and tell every other process to drop theirs."""
        self.clear_local()
        try:
            self._client().incr(VERSION_KEY)
        except redis.RedisError:
            logger.warning("Could not publish a routing change to Redis; other processes will "
                           "serve cached routes until Redis is back", exc_info=True)

    def clear_local(self) -> None:
        with self._lock:
            self._routes.clear()

    # -- internals ------------------------------------------------------------------------
    @property
    def check_seconds(self) -> float:
        if self._check_seconds is not None:
            return self._check_seconds
        return settings.TENANT_ROUTING_CHECK_SECONDS

    @property
    def db_check_seconds(self) -> float:
        if self._db_check_seconds is not None:
            return self._db_check_seconds
        return settings.TENANT_ROUTING_DB_CHECK_SECONDS

    def _client(self) -> redis.Redis:
        if self._redis is None:
            self._redis = _redis_client()
        return self._redis

    def _refresh_if_due(self) -> None:
        now = time.monotonic()
        if now - self._db_checked_at >= self.db_check_seconds:
            self._db_checked_at = now
            self._refresh_from_database()
        if now - self._checked_at < self.check_seconds:
            return
        self._checked_at = now
        try:
            version = self._client().get(VERSION_KEY)
        except redis.RedisError:
            # Without Redis we cannot know what changed: the database is the truth, so ask it.
            logger.warning("Redis unavailable for routing invalidation; dropping cached routes")
            self.clear_local()
            self._version = None
            return
        if version != self._version:
            self.clear_local()
            self._version = version

    def _refresh_from_database(self) -> None:
        from tenants.models import Domain, Tenant

        q = connection.ops.quote_name
        public = q(settings.PUBLIC_SCHEMA_NAME)
        # Public's tables named outright, as in _lookup (the connection may be in a tenant).
        sql = (f"SELECT count(*), max({q('updated_at')}), "  # noqa: S608 (quoted names)
               f"(SELECT count(*) FROM {public}.{q(Domain._meta.db_table)}), "
               f"(SELECT max({q('id')}) FROM {public}.{q(Domain._meta.db_table)}) "
               f"FROM {public}.{q(Tenant._meta.db_table)}")
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                fingerprint = tuple(cursor.fetchone())
        except DatabaseError:
            # The request will meet the same database; keep nothing that might be stale.
            logger.warning("Could not read the registry fingerprint; dropping cached routes")
            self.clear_local()
            self._fingerprint = None
            return
        if fingerprint != self._fingerprint:
            self.clear_local()
            self._fingerprint = fingerprint

    def _lookup(self, host: str) -> Route:
        if host in settings.PUBLIC_HOSTS:
            return PUBLIC_ROUTE
        from tenants.models import Domain, DomainStatus, Tenant

        candidates = [host]
        if host.startswith("www."):
            candidates.append(host[4:])
        # The registry lives in public only, and a tenant's search_path holds its own schema
        # alone (tenants/postgresql_backend), while the connection may still be in the previous
        # request's tenant: name public's tables outright. (Switching to public for the lookup
        # would cost two SET search_path round trips on every cold host.)
        q = connection.ops.quote_name
        public = q(settings.PUBLIC_SCHEMA_NAME)
        tenant_fk = q(Domain._meta.get_field("tenant").column)
        sql = (f"SELECT t.*, d.{q('domain')} AS routed_host, "  # noqa: S608 (quoted names)
               f"d.{q('status')} AS domain_status "
               f"FROM {public}.{q(Domain._meta.db_table)} d "
               f"JOIN {public}.{q(Tenant._meta.db_table)} t "
               f"ON t.{q(Tenant._meta.pk.column)} = d.{tenant_fk} "
               f"WHERE d.{q('domain')} = ANY(%s)")
        # A custom domain routes once verified (tenants/domains.py); the platform's own
        # subdomains need no verification.
        domains = {tenant.routed_host: tenant for tenant in Tenant.objects.raw(sql, [candidates])
                   if tenant.domain_status == DomainStatus.VERIFIED
                   or tenant.routed_host.endswith(f".{settings.BASE_DOMAIN}")}
        for candidate in candidates:
            if candidate in domains:
                return Route(tenant=domains[candidate])
        return NOT_FOUND


host_router = HostRouter()
