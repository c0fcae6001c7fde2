"""Which tenants have outstanding work for an every-minute periodic job, so that its fan-out
visits those tenants only instead of every tenant every minute (10,000 tenants: 10,000 tasks a
minute, nearly all finding nothing to do).

A mark is a member of one Redis sorted set per task (``fleet:work:<task name>``): the schema
name, scored with the time it was last marked. Code that creates work marks the current schema
(``work_mark``, after its transaction commits); the periodic task, run in a tenant, clears the
mark when it finds nothing outstanding (``work_unmark``) -- unless the schema was marked again
since the task looked, so a mark set while the task ran is never lost. Redis is not the source
of truth: the rows are. If a mark is lost (Redis flushed or unreachable when marking), the
fan-out's full pass (every tenant, at most once per ``WORK_FULL_PASS_SECONDS``, and at once when
its Redis key is gone) finds the work anyway.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

_client: redis.Redis | None = None

# Scores are Redis's own clock, so a web host's and a worker's clocks never have to agree.
_MARK = """
local now = redis.call('TIME')
return redis.call('ZADD', KEYS[1], tonumber(now[1]) + tonumber(now[2]) / 1000000, ARGV[1])
"""
# Remove the member only if its score is not newer than the caller's look (ARGV[2]).
_UNMARK = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
"""


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1,
                                       socket_connect_timeout=1)
    return _client


def _key(task_name: str) -> str:
    return f"fleet:work:{task_name}"


def work_mark(task_name: str, *, schema_name: str | None = None) -> None:
    """Mark the current schema (or ``schema_name``) as having work for ``task_name``, once the
    current transaction commits. A Redis failure is logged, never raised: the caller's work is
    committed, and the next full pass finds it."""
    schema = schema_name or connection.schema_name

    def mark() -> None:
        try:
            _redis().eval(_MARK, 1, _key(task_name), schema)
        except redis.RedisError:
            logger.warning("Could not mark %s for %s; the next full pass finds it", schema,
                           task_name, exc_info=True)

    transaction.on_commit(mark)


def work_marked(task_name: str) -> set[str]:
    """The schemas marked for ``task_name`` (raises redis.RedisError when Redis is down)."""
    return {member.decode() for member in _redis().zrange(_key(task_name), 0, -1)}


def work_look_time() -> float:
    """Now, by Redis's clock: take it before looking for work, pass it to ``work_unmark``. (0
    when Redis is down: nothing is then unmarked.)"""
    try:
        seconds, micros = _redis().time()
    except redis.RedisError:
        return 0.0
    return seconds + micros / 1_000_000


def work_unmark(task_name: str, *, looked_at: float, schema_name: str | None = None) -> bool:
    """Clear the current schema's mark unless it was marked after ``looked_at`` (the time the
    caller started looking for work). True when the mark was removed."""
    schema = schema_name or connection.schema_name
    try:
        return bool(_redis().eval(_UNMARK, 1, _key(task_name), schema, looked_at))
    except redis.RedisError:
        logger.warning("Could not unmark %s for %s", schema, task_name, exc_info=True)
        return False


def work_full_pass_due(task_name: str) -> bool:
    """True at most once per ``WORK_FULL_PASS_SECONDS`` per task (and whenever Redis lost the
    key): the fan-out then visits every tenant, which catches any mark that was lost."""
    seconds = int(getattr(settings, "WORK_FULL_PASS_SECONDS", 3600))
    return bool(_redis().set(f"fleet:full-pass:{task_name}", "1", nx=True, ex=seconds))
