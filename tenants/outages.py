"""Outages answer 503, never 500.

When PostgreSQL or Redis cannot be reached, whatever raised it (the routing middleware's host
lookup, a session read, a view, the API's rate limiter) the client gets 503 with
``Retry-After`` in the one error format: JSON under /api/ (``service_unavailable``), a small page
for browsers, and no traceback. A read (GET, HEAD) that failed on a dropped connection is retried
once on a fresh one first: after a PostgreSQL restart every persistent connection is dead, and
the first request on each would otherwise fail although the server is back.

Three places see the exception, depending on where it was raised:

* the API's exception handler (``tenant_apps.core.api.errors``), for anything inside a DRF view;
* ``process_exception`` below, for other views;
* ``tenants.errors.outage_page`` via the 500 handler (``tenants.errors.server_error``), for
  anything raised in a middleware (Django turns it into a response before an outer middleware
  could catch it).

Each marks its response with ``response.outage``; the middleware's ``__call__`` (first in
MIDDLEWARE, so around everything) retries a marked read once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connections
from django.http import HttpRequest, HttpResponse

from tenants.errors import outage_page

logger = logging.getLogger(__name__)

SAFE_TO_RETRY = ("GET", "HEAD")


def _drop_broken_connections() -> None:
    """Close every database connection that is not inside a transaction: the next query opens a
    new one (and the routing middleware sets its search_path again)."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()


class OutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        dependency = getattr(response, "outage", None)
        if dependency is None:
            return response
        _drop_broken_connections()
        if request.method in SAFE_TO_RETRY:
            logger.info("%s unavailable during %s %s; retrying once on a new connection",
                        dependency, request.method, request.path)
            response = self.get_response(request)
            if getattr(response, "outage", None) is not None:
                _drop_broken_connections()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        response = outage_page(request, exception)
        if response is not None:
            logger.warning("%s unavailable: %s: %s", response.outage,
                           exception.__class__.__name__, exception)
        return response
