"""Per-tenant request counters for the usage figures, kept in Redis, never in the database.

Each API request adds three commands to the pipeline the tenant rate limiter already sends
(tenant_apps/core/api/throttling.py): ``INCR`` + ``EXPIRE`` of the tenant's counter for the day
and ``SET`` of its last-activity time. Same round trip, no write to PostgreSQL: the usage collector
(tenants/plans/collect.py) reads the counters later and stores one row per tenant per day.
bench/usage.py measures what they cost a request.
"""

from __future__ import annotations

import datetime as dt

import redis
from django.conf import settings

# Counters outlive their day long enough for the collector to read a finished day twice.
KEEP_SECONDS = 3 * 86400


def _prefix() -> str:
    return settings.CACHES["default"].get("KEY_PREFIX", "")


def api_requests_key(schema: str, day: dt.date) -> str:
    return f"{_prefix()}:usage:api:{schema}:{day:%Y%m%d}"


def last_activity_key(schema: str) -> str:
    return f"{_prefix()}:usage:seen:{schema}"


def usage_count_request(pipe: redis.client.Pipeline, *, schema: str, now: float) -> None:
    """Queue the counting of one API request of ``schema`` on ``pipe`` (sent by the caller)."""
    day = dt.datetime.fromtimestamp(now, tz=dt.UTC).date()
    key = api_requests_key(schema, day)
    pipe.incr(key)
    pipe.expire(key, KEEP_SECONDS)
    pipe.set(last_activity_key(schema), int(now), ex=KEEP_SECONDS * 30)


def usage_counters_read(client: redis.Redis, schemas: list[str], day: dt.date
                        ) -> dict[str, tuple[int, dt.datetime | None]]:
    """``{schema: (API requests on day, last API activity)}`` in one round trip."""
    if not schemas:
        return {}
    pipe = client.pipeline(transaction=False)
    for schema in schemas:
        pipe.get(api_requests_key(schema, day))
        pipe.get(last_activity_key(schema))
    values = pipe.execute()
    out = {}
    for i, schema in enumerate(schemas):
        requests, seen = values[2 * i], values[2 * i + 1]
        out[schema] = (int(requests or 0),
                       dt.datetime.fromtimestamp(int(seen), tz=dt.UTC) if seen else None)
    return out
