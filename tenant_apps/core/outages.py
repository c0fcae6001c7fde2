"""Telling an outage (PostgreSQL or Redis unreachable) from a bug. An outage is answered 503 with
``Retry-After`` (the client should try again); a bug stays a 500. Used by the API's exception
handler and by the control plane's outage middleware, so both answer the same way."""

from __future__ import annotations

import django.db
import kombu.exceptions
import psycopg
import redis.exceptions

from tenant_apps.core.errors import ServiceUnavailable

# Seconds a client is asked to wait: a PostgreSQL restart or a Redis failover takes a few.
RETRY_AFTER_SECONDS = 5

_DATABASE = (django.db.OperationalError, django.db.InterfaceError, psycopg.OperationalError,
             psycopg.InterfaceError)
# redis-py's ConnectionError covers a refused or dropped connection and a server still loading;
# kombu's OperationalError is a message that could not be sent to the broker.
_REDIS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
          kombu.exceptions.OperationalError, ConnectionError, TimeoutError)

_MESSAGES = {
    "database": "The database is briefly unavailable. Try again in a moment.",
    "redis": "The cache and job queue (Redis) are briefly unavailable. Try again in a moment.",
}


def outage_dependency(exc: BaseException | None) -> str | None:
    """"database" or "redis" when ``exc`` (or an exception it was raised from) says that
    dependency cannot be reached; None for anything else. Celery wraps a lost result store in a
    RuntimeError raised *from* the Redis error, hence the walk along the chain."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, _DATABASE):
            # Not every OperationalError is an outage (a cancelled statement, a lock timeout,
            # a serialization failure are not): psycopg sets no SQLSTATE when the connection
            # itself failed, and class 08 (connection exception) / 57P0x (server shutting down)
            # when the server said so.
            state = getattr(getattr(exc, "__cause__", None), "sqlstate", None) or getattr(
                exc, "sqlstate", None)
            if state is None or state.startswith(("08", "57P0")):
                return "database"
        if isinstance(exc, _REDIS):
            return "redis"
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def outage_error(exc: BaseException | None) -> ServiceUnavailable | None:
    """The ServiceUnavailable to answer for ``exc``, or None when it is no outage."""
    dependency = outage_dependency(exc)
    if dependency is None:
        return None
    error = ServiceUnavailable(_MESSAGES[dependency])
    error.dependency = dependency
    return error
