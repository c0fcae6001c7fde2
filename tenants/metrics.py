"""``/metrics`` on the public host: Prometheus metrics for operators only (a bearer token,
``METRICS_TOKEN``, for the scraper; or a staff session of the console, to look by hand).

Besides the request and task metrics (tenants/observability.py), read at scrape time:

* ``celery_queue_length`` and ``celery_queue_oldest_age_seconds``: the broker's queue, from
  Redis (each message carries the time it was sent, see ``on_before_task_publish``);
* ``tenants``: tenants by state (``provisioning``, ``active``, ``suspended``, ...), one query
  on the public schema.

Under gunicorn every worker process counts its own requests: with ``PROMETHEUS_MULTIPROC_DIR``
set (deploy/gunicorn.conf.py sets it) a scrape adds up every worker's files.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

logger = logging.getLogger(__name__)


def _queue_names() -> list[str]:
    return [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", None) or "celery"]


def _redis_py_url(broker_url: str) -> str:
    # Celery spells a Unix socket redis+socket:///path; redis-py, unix:///path.
    if broker_url.startswith("redis+socket://"):
        return "unix://" + broker_url.removeprefix("redis+socket://")
    return broker_url


class PlatformCollector:
    """Gauges read when scraped; a dependency that is down leaves its gauges out (and is named
    by ``/readyz``) rather than failing the scrape."""

    def collect(self):
        yield from self._queues()
        yield from self._tenants()

    @staticmethod
    def _queues():
        length = GaugeMetricFamily("celery_queue_length", "Messages waiting in the broker.",
                                   labels=["queue"])
        age = GaugeMetricFamily("celery_queue_oldest_age_seconds",
                                "Age of the oldest message waiting in the broker.",
                                labels=["queue"])
        try:
            client = redis.Redis.from_url(_redis_py_url(settings.CELERY_BROKER_URL),
                                          socket_timeout=1, socket_connect_timeout=1)
            for queue in _queue_names():
                length.add_metric([queue], client.llen(queue))
                oldest = client.lindex(queue, -1)  # LPUSHed, consumed from the right
                sent_at = None
                if oldest:
                    try:
                        sent_at = json.loads(oldest).get("headers", {}).get("sent_at")
                    except (ValueError, AttributeError):
                        sent_at = None
                age.add_metric([queue], max(0.0, time.time() - sent_at) if sent_at else 0.0)
        except (redis.RedisError, OSError) as exc:
            logger.warning("metrics: broker unavailable: %s", exc)
            return
        yield length
        yield age

    @staticmethod
    def _tenants():
        from django.db import DatabaseError
        from django.db.models import Count

        from tenants.models import Tenant

        gauge = GaugeMetricFamily("tenants", "Tenants by state (provisioning, active, ...).",
                                  labels=["state"])
        try:
            for row in Tenant.objects.values("state").annotate(n=Count("id")).order_by():
                gauge.add_metric([row["state"]], row["n"])
        except DatabaseError as exc:
            logger.warning("metrics: database unavailable: %s", exc)
            return
        yield gauge


_collector = PlatformCollector()
_registered = False


def _registry():
    global _registered
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_collector)
        return registry
    if not _registered:
        REGISTRY.register(_collector)
        _registered = True
    return REGISTRY


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(
            given.removeprefix("Bearer ").strip().encode(), token.encode()):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        response = JsonResponse({"error": {
            "code": "not_authenticated", "fields": {},
            "message": "Metrics are for operators: send Authorization: Bearer METRICS_TOKEN."}},
            status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
