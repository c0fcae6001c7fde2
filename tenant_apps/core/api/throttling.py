"""Rate limits counted in Redis with one atomic counter per caller and time window.

* ``TenantRateThrottle``: all requests to one tenant's API, whoever makes them;
* ``ApiKeyRateThrottle``: requests made with one API key.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``tenant``, ``api_key``), e.g.
``"6000/min"``. A refused request gets 429 with ``Retry-After`` (seconds to the next window).

Why not DRF's ``SimpleRateThrottle``: it keeps the timestamp of every request of the window in
one cached list that each request reads, unpickles, appends to and writes back — up to 6000
entries at 6000/min, twice per request (tenant and key) — and two concurrent requests can both
read the old list, so limits leak under load. Here each request is one pipelined ``INCR`` +
``EXPIRE``: constant cost, exact under concurrency. The price is the fixed window's edge: a
caller can spend one window's budget at its end and the next one's at the start of the next.

The tenant's rate comes from its plan (``api_requests_per_minute``, tenant_apps/core/limits.py);
the setting is the platform's ceiling, protecting the shared servers: the stricter one applies.
The tenant throttle's pipeline also counts the request for the usage figures
(tenant_apps/core/usage_counters.py), so counting costs no extra round trip.
"""

from __future__ import annotations

import logging
import math
import time
from typing import NamedTuple

import redis
from django.conf import settings
from django.db import connection
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from tenant_apps.core.limits import current_limits
from tenant_apps.core.usage_counters import usage_count_request

logger = logging.getLogger(__name__)

_DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5,
                                       socket_connect_timeout=0.5)
    return _client


class RateLimitState(NamedTuple):
    scope: str
    limit: int
    window: int  # seconds
    remaining: int
    reset: int  # seconds to the next window


def parse_rate(rate: str) -> tuple[int, int]:
    """``"6000/min"`` -> (6000, 60)."""
    count, _, period = rate.partition("/")
    return int(count), _DURATIONS[period.strip()[0]]


class WindowRateThrottle(BaseThrottle):
    scope = ""
    THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES

    def ident(self, request) -> str | None:
        raise NotImplementedError

    def rate(self) -> tuple[int, int] | None:
        """(requests, seconds), or None for no limit."""
        rate = self.THROTTLE_RATES.get(self.scope)
        return parse_rate(rate) if rate else None

    def count_usage(self, pipe, schema: str, now: float) -> None:
        """Queue extra commands on the limiter's pipeline (the tenant throttle counts usage)."""

    def _window(self, request) -> tuple[str, int, int, int] | None:
        """(counter key, limit, duration, seconds to reset) of the current window, or None
        when this limit does not apply to the request."""
        ident = self.ident(request)
        rate = self.rate() if ident is not None else None
        if rate is None:
            return None
        limit, duration = rate
        now = time.time()
        window = int(now // duration)
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        schema = getattr(connection, "schema_name", "public")  # a plain backend has none
        key = f"{prefix}:rl:{self.scope}:{schema}:{ident}:{duration}:{window}"
        return key, limit, duration, max(1, math.ceil((window + 1) * duration - now))

    def peek(self, request) -> RateLimitState | None:
        """The window's state without counting the request: for a 401 or 403, which must not
        spend the tenant's budget (an anonymous flood would then lock its integrators out) but
        should still tell the caller the limits. One GET; None if Redis does not answer."""
        found = self._window(request)
        if found is None:
            return None
        key, limit, duration, reset = found
        try:
            count = int(_redis().get(key) or 0)
        except redis.RedisError:
            return None
        return RateLimitState(self.scope, limit, duration, max(0, limit - count), reset)

    def allow_request(self, request, view) -> bool:
        self._wait = None
        found = self._window(request)
        if found is None:
            return True
        key, limit, duration, reset = found
        try:
            pipe = _redis().pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, duration + 1)
            self.count_usage(pipe, getattr(connection, "schema_name", "public"), time.time())
            count = pipe.execute()[0]
        except redis.RedisError:
            # Failing open: an outage of the limiter must not become an outage of the API.
            logger.warning("Rate limiter unavailable; letting the request through")
            return True
        # For the RateLimit / RateLimit-Policy headers (ratelimit_headers.py): the counter just
        # read, so the headers cost no extra round trip.
        django_request = getattr(request, "_request", request)
        if not hasattr(django_request, "rate_limits"):
            django_request.rate_limits = []
        django_request.rate_limits.append(
            RateLimitState(self.scope, limit, duration, max(0, limit - count), reset))
        if count <= limit:
            return True
        self._wait = reset
        return False

    def wait(self) -> float | None:
        return self._wait


class TenantRateThrottle(WindowRateThrottle):
    scope = "tenant"

    def ident(self, request) -> str | None:
        return "all" if getattr(request, "tenant", None) is not None else None

    def rate(self) -> tuple[int, int] | None:
        ceiling = super().rate()
        per_minute = current_limits().api_requests_per_minute
        if per_minute is None:
            return ceiling
        if ceiling is None or per_minute / 60 < ceiling[0] / ceiling[1]:
            return per_minute, 60
        return ceiling

    def count_usage(self, pipe, schema: str, now: float) -> None:
        if settings.USAGE_COUNT_REQUESTS:
            usage_count_request(pipe, schema=schema, now=now)


class ApiKeyRateThrottle(WindowRateThrottle):
    scope = "api_key"

    def ident(self, request) -> str | None:
        from tenant_apps.core.api.key_authentication import request_api_key

        # Prefixes are unique within a tenant; the schema name in the key does the rest.
        api_key = request_api_key(request)
        return api_key.prefix if api_key is not None else None
