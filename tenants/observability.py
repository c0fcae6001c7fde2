"""What operators see: one log line per request and per task, Prometheus metrics, Sentry.

* **Request id.** A request's ``X-Request-ID`` (from the proxy or the client; a fresh one when
  absent or malformed) is echoed on the response, carried by every log line written while the
  request runs, and sent with every Celery task it queues, whose log lines carry it too.
* **One line per request** on the ``saas.request`` logger (and per task on ``saas.task``):
  request id, tenant, user id or API-key prefix, method, route, status, duration. JSON when
  ``LOG_FORMAT=json`` (production's default), plain text otherwise (``make run``).
* **Metrics** (``prometheus-client``): labels are the route's name, method, status class and
  app, never the tenant: 10,000 tenants must not mean 10,000 time series per metric.
  Served by ``metrics_view`` (tenants/metrics.py).
* **Sentry**, when ``SENTRY_DSN`` is set (settings): every event is tagged with the tenant.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

import sentry_sdk
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

request_log = logging.getLogger("saas.request")
task_log = logging.getLogger("saas.task")

# What every log line written meanwhile carries (see ContextFilter).
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id",
                                                                         default="")
current_tenant: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

REQUESTS = Counter("http_requests_total", "HTTP requests answered.",
                   ["app", "route", "method", "status"])
LATENCY = Histogram("http_request_duration_seconds", "Time to answer an HTTP request.",
                    ["app", "route", "method"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
ERRORS = Counter("http_server_errors_total",
                 "Responses with a 5xx status, by kind: outage_database, outage_redis, error.",
                 ["app", "route", "kind"])
TASKS = Counter("celery_tasks_total", "Celery tasks run, by outcome.", ["task", "state"])
TASK_LATENCY = Histogram("celery_task_duration_seconds", "Time a Celery task ran.", ["task"],
                         buckets=(0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600))


def request_id_from(request: HttpRequest) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``tenant`` to every record (empty outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        if not hasattr(record, "tenant"):
            record.tenant = current_tenant.get()
        return True


def _route(request: HttpRequest) -> tuple[str, str]:
    """(app, route name) of the matched URL pattern; the names are fixed by the code, so the
    label values are bounded whatever the URLs requested."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "none", "unmatched"
    app = match.namespaces[0] if match.namespaces else "platform"
    return app.removesuffix("-api"), match.view_name or "unnamed"


def _actor(request: HttpRequest) -> str:
    auth = getattr(request, "auth", None)
    prefix = getattr(auth, "prefix", None)
    if prefix:
        return f"key:{prefix}"
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return "anonymous"


def _tenant_of(request: HttpRequest) -> str:
    tenant = getattr(request, "tenant", None)
    return getattr(tenant, "slug", None) or getattr(tenant, "schema_name", "") or "-"


class RequestObservabilityMiddleware:
    """Outermost: sees every response, the outage 503s and the routing refusals included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_id_from(request)
        request.request_id = request_id
        id_token = current_request_id.set(request_id)
        tenant_token = current_tenant.set("")
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            self._record(request, response, time.perf_counter() - started)
            return response
        finally:
            current_request_id.reset(id_token)
            current_tenant.reset(tenant_token)

    @staticmethod
    def _record(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
        app, route = _route(request)
        status = response.status_code
        REQUESTS.labels(app, route, request.method, f"{status // 100}xx").inc()
        LATENCY.labels(app, route, request.method).observe(seconds)
        if status >= 500:
            outage = getattr(response, "outage", None)
            ERRORS.labels(app, route, f"outage_{outage}" if outage else "error").inc()
        request_log.info(
            "%s %s %s %.1fms", request.method, request.path, status, seconds * 1000,
            extra={"event": "request", "request_id": getattr(request, "request_id", ""),
                   "tenant": _tenant_of(request), "actor": _actor(request),
                   "method": request.method, "path": request.path, "route": route,
                   "status": status, "duration_ms": round(seconds * 1000, 1)})


class TenantContextMiddleware:
    """Right after routing: the tenant is known. Log lines and Sentry events get it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = _tenant_of(request)
        current_tenant.set(tenant)
        # No-ops when Sentry is not initialised (no SENTRY_DSN).
        sentry_sdk.set_tag("tenant", tenant)
        sentry_sdk.set_tag("request_id", getattr(request, "request_id", ""))
        return self.get_response(request)


# -- Celery -------------------------------------------------------------------------------------
_task_started: dict[str, tuple[float, str]] = {}  # task id -> (start, tenant)


def _task_tenant() -> str:
    from django.db import connection

    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "slug", None) or getattr(connection, "schema_name", "") or "-"


def on_before_task_publish(headers: dict | None = None, **_kwargs) -> None:
    """The request id travels with the task (a message header, as the tenant's schema does)."""
    if headers is None:
        return
    # When it was sent: the metrics read the oldest waiting message's age from it.
    headers.setdefault("sent_at", time.time())
    if current_request_id.get():
        headers.setdefault("request_id", current_request_id.get())


def on_task_prerun(task_id: str, task, **_kwargs) -> None:
    tenant = _task_tenant()
    _task_started[task_id] = (time.perf_counter(), tenant)
    headers = task.request.headers or {}
    request_id = headers.get("request_id") or task.request.get("request_id") or task_id
    current_request_id.set(request_id)
    current_tenant.set(tenant)
    sentry_sdk.set_tag("tenant", tenant)
    sentry_sdk.set_tag("request_id", request_id)


def on_task_postrun(task_id: str, task, state: str | None = None, **_kwargs) -> None:
    started, tenant = _task_started.pop(task_id, (None, "-"))
    seconds = time.perf_counter() - started if started is not None else 0.0
    TASKS.labels(task.name, state or "UNKNOWN").inc()
    TASK_LATENCY.labels(task.name).observe(seconds)
    task_log.info(
        "task %s %s %.1fms", task.name, state, seconds * 1000,
        extra={"event": "task", "request_id": current_request_id.get(), "task": task.name,
               "task_id": task_id, "state": state,
               "tenant": tenant, "duration_ms": round(seconds * 1000, 1)})
    current_request_id.set("")
    current_tenant.set("")


def install_celery_signals() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(on_before_task_publish, dispatch_uid="saas_request_id_header")
    # After tenant-schemas-celery's own prerun (connected when saas_platform.celery is imported,
    # before apps are ready), so that the tenant's schema is already active; its postrun runs
    # first too, hence the tenant kept from prerun.
    task_prerun.connect(on_task_prerun, dispatch_uid="saas_task_prerun")
    task_postrun.connect(on_task_postrun, dispatch_uid="saas_task_postrun")
