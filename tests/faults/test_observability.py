"""Operators can see faults happen: a request id on every response and log line, one JSON log
line per request and per task (plain text stays the default outside production), Prometheus
metrics for operators only and without per-tenant labels, errors to Sentry tagged with the
tenant when SENTRY_DSN is set."""

from __future__ import annotations

import gzip
import json
import logging
import os
import subprocess
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from tests.conftest import tenant_host
from tests.faults.servers import ROOT, free_port, gunicorn, suite_database_url


def _json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            lines.append(parsed)
    return lines


@pytest.mark.django_db
def test_a_request_id_is_echoed_or_made_up(client):
    host = tenant_host("acme")
    # Not /healthz: probes are answered before this middleware and log nothing.
    given = client.get("/api/v1/me", HTTP_HOST=host, HTTP_X_REQUEST_ID="trace-abc.123")
    assert given["X-Request-ID"] == "trace-abc.123"
    made_up = client.get("/api/v1/me", HTTP_HOST=host,
                         HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert made_up["X-Request-ID"] != "bad id\nwith newline"
    assert len(made_up["X-Request-ID"]) == 32
    # Even the router's refusal of an unknown host carries one.
    assert client.get("/", HTTP_HOST="nobody.example.org")["X-Request-ID"]


def test_plain_text_logs_stay_the_default_outside_production():
    assert settings.LOG_FORMAT == "plain"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "plain"


def test_production_logs_one_json_line_per_request_and_serves_metrics_to_operators(
        committed_api_key):
    token = "metrics-token-for-the-test"
    with gunicorn(env={"METRICS_TOKEN": token, "WEB_CONCURRENCY": "2"}) as server:
        acme = tenant_host("acme")
        auth = {"Authorization": f"Api-Key {committed_api_key}", "X-Request-ID": "req-42"}
        status, headers, _ = server.request("GET", "/api/v1/inventory/products", acme,
                                            headers=auth)
        assert status == 200 and headers["X-Request-ID"] == "req-42"
        for _ in range(3):
            server.request("GET", "/api/v1/inventory/products", tenant_host("globex"))

        # Operators only.
        assert server.request("GET", "/metrics", settings.BASE_DOMAIN)[0] == 401
        assert server.request("GET", "/metrics", settings.BASE_DOMAIN,
                              headers={"Authorization": "Bearer wrong"})[0] == 401
        assert server.request("GET", "/metrics", acme,
                              headers={"Authorization": f"Bearer {token}"})[0] == 404
        status, _, body = server.request("GET", "/metrics", settings.BASE_DOMAIN,
                                         headers={"Authorization": f"Bearer {token}"})
        assert status == 200
        metrics = body.decode()
        log = server.log_text()

    request_lines = [line for line in _json_lines(log) if line.get("event") == "request"]
    ours = [line for line in request_lines if line.get("request_id") == "req-42"]
    assert len(ours) == 1, log[-3000:]
    line = ours[0]
    assert line["tenant"] == "acme"
    assert line["actor"] == f"key:{committed_api_key.split('.')[0].removeprefix('sk_')}"
    assert line["status"] == 200 and line["duration_ms"] >= 0
    assert line["route"] == "inventory-api:inventory-product-list"
    assert line["level"] == "INFO" and line["logger"] == "saas.request"

    # Counted across both workers, labelled by route, never by tenant.
    assert 'route="inventory-api:inventory-product-list"' in metrics
    assert "http_request_duration_seconds_bucket" in metrics
    assert 'tenants{state="active"}' in metrics
    assert "celery_queue_length" in metrics and "celery_queue_oldest_age_seconds" in metrics
    assert "acme" not in metrics and "globex" not in metrics
    served = sum(float(m.split()[-1]) for m in metrics.splitlines()
                 if m.startswith("http_requests_total{")
                 and 'route="inventory-api:inventory-product-list"' in m)
    assert served >= 4


def test_a_task_logs_one_line_with_its_tenant_and_the_request_id_that_queued_it(
        celery_worker, caplog, in_tenant):
    from tenant_apps.inventory.tasks import check_low_stock
    from tenants.observability import current_request_id

    caplog.set_level(logging.INFO, logger="saas.task")
    token = current_request_id.set("req-task-7")
    try:
        with in_tenant("acme"):
            result = check_low_stock.delay()
        assert result.get(timeout=30)["schema"] == "t_acme"
    finally:
        current_request_id.reset(token)
    # The line is written when the task has finished (task_postrun), which Celery sends after
    # it stored the result that .get() returned: wait for it.
    deadline = time.monotonic() + 15
    while True:
        lines = [r for r in caplog.records if getattr(r, "event", None) == "task"]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert lines, "no task log line"
    record = lines[-1]
    assert record.task == "inventory.check_low_stock" and record.state == "SUCCESS"
    assert record.tenant == "acme" and record.request_id == "req-task-7"


def test_without_sentry_dsn_nothing_is_initialised():
    import sentry_sdk

    assert not os.environ.get("SENTRY_DSN")
    assert not sentry_sdk.get_client().is_active()


class _Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        _Collector.received.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


_SCRIPT = """
import sys
import django
django.setup()
from django.test import Client
from django.urls import path
import saas_platform.urls_tenant as urls

def boom(request):
    raise ZeroDivisionError("deliberate error for the Sentry test")

urls.urlpatterns.insert(0, path("boom-for-sentry", boom))
response = Client(raise_request_exception=False).get("/boom-for-sentry", HTTP_HOST=sys.argv[1])
print(response.status_code)
import sentry_sdk
sentry_sdk.flush(10)
"""


def test_with_sentry_dsn_an_error_arrives_tagged_with_the_tenant(committed_db):
    _Collector.received = []
    port = free_port()
    collector = ThreadingHTTPServer(("127.0.0.1", port), _Collector)
    thread = threading.Thread(target=collector.serve_forever, daemon=True)
    thread.start()
    try:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "saas_platform.settings.production",
               "SECRET_KEY": "s" * 30 + "Qz8-Xw2_" + "k" * 30, "DATABASE_URL": suite_database_url(),
               "BASE_DOMAIN": settings.BASE_DOMAIN, "SECURE_SSL_REDIRECT": "False",
               "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/1"}
        result = subprocess.run([sys.executable, "-c", _SCRIPT, tenant_host("acme")], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.stdout.strip().splitlines()[-1] == "500", result.stderr[-3000:]
    finally:
        collector.shutdown()
    events = []
    for envelope in _Collector.received:
        for item in envelope.split(b"\n"):
            try:
                parsed = json.loads(item)
            except ValueError:
                continue
            if isinstance(parsed, dict) and "exception" in parsed:
                events.append(parsed)
    assert events, f"no error event among {len(_Collector.received)} envelope(s)"
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "ZeroDivisionError"
    assert event["tags"]["tenant"] == "acme"
