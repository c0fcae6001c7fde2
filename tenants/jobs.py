"""The operators' jobs (provision, archive, restore) as the API and the console see them: queued
through ``operator_job_queue``, which records the job's id in Redis with what it is for (so an id
the platform never issued is a 404, not a task ``PENDING`` forever), and passes the acting
operator on to the task, whose audit entry then names them."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import redis
from celery import current_app
from celery.result import AsyncResult
from django.conf import settings

from tenant_apps.core.actor import Actor, current_actor
from tenant_apps.core.errors import NotFound

_JOB_KEY = "saas:operator:job:{}"
_TENANT_JOBS_KEY = "saas:operator:tenant-jobs:{}"
TENANT_JOBS_KEPT = 20
_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2,
                                       socket_connect_timeout=2)
    return _client


def operator_job_queue(task, *, kind: str, target: str, **kwargs: Any) -> AsyncResult:
    """Send ``task`` with ``kwargs`` on behalf of the current actor and record its id as a
    ``kind`` job for the tenant ``target``."""
    slug = target
    actor = dataclasses.asdict(current_actor())
    result = task.apply_async(kwargs={**kwargs, "actor": actor})
    record = {"job_id": result.id, "kind": kind, "slug": slug, "queued_at": time.time(),
              "actor": actor["label"]}
    ttl = settings.OPERATOR_JOB_TTL_SECONDS
    pipe = _redis().pipeline()
    pipe.set(_JOB_KEY.format(result.id), json.dumps(record), ex=ttl)
    pipe.lpush(_TENANT_JOBS_KEY.format(slug), result.id)
    pipe.ltrim(_TENANT_JOBS_KEY.format(slug), 0, TENANT_JOBS_KEPT - 1)
    pipe.expire(_TENANT_JOBS_KEY.format(slug), ttl)
    pipe.execute()
    return result


def task_actor(actor: dict | None) -> Actor:
    """The actor a task received from ``operator_job_queue`` (``system`` without one)."""
    if not actor:
        return Actor("system")
    fields = {f.name for f in dataclasses.fields(Actor)}
    return Actor(**{k: v for k, v in actor.items() if k in fields})


def operator_job_get(*, job_id: str) -> dict:
    """The job's record and status; NotFound for an id the platform did not issue (or has
    forgotten, after OPERATOR_JOB_TTL_SECONDS)."""
    raw = _redis().get(_JOB_KEY.format(job_id)) if len(job_id) <= 64 else None
    if raw is None:
        raise NotFound(f"No job '{job_id[:64]}'.", code="job_not_found")
    return _with_status(json.loads(raw))


def operator_jobs_for_tenant(*, slug: str) -> list[dict]:
    """The tenant's recent jobs, newest first, with their status."""
    ids = [i.decode() for i in _redis().lrange(_TENANT_JOBS_KEY.format(slug), 0, -1)]
    if not ids:
        return []
    raws = _redis().mget([_JOB_KEY.format(i) for i in ids])
    return [_with_status(json.loads(raw)) for raw in raws if raw is not None]


def _with_status(record: dict) -> dict:
    result = AsyncResult(record["job_id"], app=current_app)
    info = result.info if isinstance(result.info, dict) else {}
    failed = result.failed()
    return {
        **record,
        "state": result.state,
        "step": info.get("step"),
        "index": info.get("index"),
        "total": info.get("total"),
        "result": result.result if result.successful() else None,
        "error": str(result.result) if failed else None,
    }
