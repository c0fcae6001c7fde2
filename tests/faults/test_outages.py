"""Item 2 of the fault issue: a database or Redis that cannot be reached is a 503 with
Retry-After in the one error format (JSON under /api/, a page for browsers), never a 500; a read
on a dropped connection is retried once; /readyz names the dependency at fault.

The servers under test are gunicorn processes started here with production settings; the
"outage" is an address nothing listens on (the suite's own PostgreSQL and Redis stay up)."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import connection

from tests.conftest import tenant_host
from tests.faults.servers import dead_database_url, dead_redis_url, gunicorn


def _assert_outage_json(status, headers, body, dependency_word):
    assert status == 503, body[:2000]
    assert int(headers["Retry-After"]) > 0
    error = json.loads(body)["error"]
    assert error["code"] == "service_unavailable"
    assert dependency_word in error["message"].lower()
    assert b"Traceback" not in body


def test_database_down_is_503_with_retry_after_for_api_pages_and_writes(committed_db):
    with gunicorn(database_url=dead_database_url()) as server:
        acme = tenant_host("acme")
        # Liveness touches nothing: the process is fine, its database is not.
        assert server.request("GET", "/healthz", settings.BASE_DOMAIN)[0] == 200

        status, headers, body = server.request("GET", "/api/v1/inventory/products", acme)
        _assert_outage_json(status, headers, body, "database")

        status, headers, body = server.request(
            "POST", "/api/v1/inventory/movements", acme, body=b'{"kind": "receipt"}',
            headers={"Content-Type": "application/json"})
        _assert_outage_json(status, headers, body, "database")

        # A browser gets a small page, not a traceback or the stock "Server Error (500)".
        status, headers, body = server.request("GET", "/accounts/login/", acme,
                                               headers={"Accept": "text/html"})
        assert status == 503 and int(headers["Retry-After"]) > 0
        assert headers["Content-Type"].startswith("text/html")
        assert b"service_unavailable" in body and b"Traceback" not in body

        status, headers, body = server.request("GET", "/readyz", settings.BASE_DOMAIN)
        assert status == 503
        ready = json.loads(body)
        assert ready["failing"] == ["database"]
        assert ready["checks"]["database"].startswith("database unreachable")
        assert "Internal Server Error" not in server.log_text()


def test_redis_down_never_answers_500(committed_api_key, tmp_path):
    with gunicorn(redis_url=dead_redis_url(tmp_path)) as server:
        acme = tenant_host("acme")
        auth = {"Authorization": f"Api-Key {committed_api_key}"}
        # Reads need no Redis (routing falls back to PostgreSQL, the rate limiter fails open).
        status, _, body = server.request("GET", "/api/v1/inventory/products", acme,
                                         headers=auth)
        assert status == 200, body[:2000]
        # Queuing a job needs the broker: accepted (sent later) or "try again", never a 500.
        status, headers, body = server.request(
            "POST", "/api/v1/inventory/exports", acme, body=b'{"kind": "products"}',
            headers={**auth, "Content-Type": "application/json"})
        assert status in (202, 503), body[:2000]
        if status == 503:
            _assert_outage_json(status, headers, body, "redis")

        status, headers, body = server.request("GET", "/readyz", settings.BASE_DOMAIN)
        assert status == 503 and int(headers["Retry-After"]) > 0
        ready = json.loads(body)
        assert ready["failing"] == ["redis"]
        assert ready["checks"]["redis"].startswith("redis unreachable")
        assert ready["checks"]["database"] == "ok"


def _terminate_this_connections_backend() -> None:
    """What a PostgreSQL restart does to every persistent connection: the server ends it."""
    import psycopg

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = {k: v for k, v in connection.get_connection_params().items()
              if k in ("dbname", "user", "password", "host", "port")}
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_read_on_a_dropped_connection_is_retried_once_and_succeeds(committed_db):
    from django.test import Client

    client = Client(HTTP_HOST=tenant_host("acme"), raise_request_exception=False)
    _terminate_this_connections_backend()
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"password" in response.content.lower()


def test_a_write_on_a_dropped_connection_is_503_not_retried(committed_db):
    from django.test import Client

    client = Client(HTTP_HOST=tenant_host("acme"), raise_request_exception=False)
    _terminate_this_connections_backend()
    response = client.post("/api/v1/inventory/movements", {"kind": "receipt"},
                           content_type="application/json")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["error"]["code"] == "service_unavailable"
    # The broken connection was closed: the next request works.
    assert client.get("/accounts/login/").status_code == 200


def test_the_api_handler_answers_503_for_outages_and_leaves_bugs_alone():
    import django.db
    import kombu.exceptions
    import psycopg
    import redis

    from tenant_apps.core.api.errors import api_exception_handler
    from tenant_apps.core.outages import outage_dependency

    for exc, dependency in ((django.db.OperationalError("connection refused"), "database"),
                            (django.db.InterfaceError("connection already closed"), "database"),
                            (redis.ConnectionError("Connection refused"), "redis"),
                            (redis.TimeoutError("Timeout reading"), "redis"),
                            (kombu.exceptions.OperationalError("no broker"), "redis")):
        response = api_exception_handler(exc, {})
        assert response.status_code == 503 and int(response["Retry-After"]) > 0
        assert response.data["error"]["code"] == "service_unavailable"
        assert response.outage == dependency

    # Celery's lost result store: a RuntimeError raised from the Redis error.
    try:
        try:
            raise redis.ConnectionError("gone")
        except redis.ConnectionError as cause:
            raise RuntimeError("Retry limit exceeded") from cause
    except RuntimeError as wrapped:
        assert outage_dependency(wrapped) == "redis"

    # A cancelled statement is an OperationalError too, but no outage: it stays a 500.
    try:
        try:
            raise psycopg.errors.QueryCanceled("canceling statement due to statement timeout")
        except psycopg.Error as cause:
            raise django.db.OperationalError(str(cause)) from cause
    except django.db.OperationalError as timeout:
        assert outage_dependency(timeout) is None
        assert api_exception_handler(timeout, {}) is None
    assert outage_dependency(ValueError("a bug")) is None
