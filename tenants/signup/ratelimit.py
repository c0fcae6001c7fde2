"""A per-client-address limit for the public forms, counted in the shared Redis cache: one
atomic counter per address, scope and fixed window (``cache.add`` creates it with its expiry,
``cache.incr`` counts), so every web process shares the same count."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR: the proxy in front (deploy/) passes the client's address through the WSGI
    # server's forwarded-for handling; a header set by the client itself is never trusted here.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limit_hit(*, scope: str, address: str, limit: int, window: int = 3600) -> bool:
    """Count one attempt; True while the address is within ``limit`` attempts per window."""
    bucket = int(time.time() // window)
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]  # no raw addresses in Redis
    key = f"ratelimit:{scope}:{digest}:{bucket}"
    if cache.add(key, 1, timeout=window + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window + 5)
            count = 1
    return count <= limit
