"""A PostgreSQL backend keeps the catalog caches of every schema it touched for the
connection's life (~0.5 MB per tenant): a persistent connection is replaced once it has served
TENANT_CONNECTION_MAX_SCHEMAS distinct tenants, whatever CONN_MAX_AGE says."""

from wsgiref.util import setup_testing_defaults

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from tests.conftest import SEEDED_TENANTS, tenant_host


def _get(host: str, path: str) -> int:
    """One request through the WSGI handler as gunicorn calls it: unlike Django's test client,
    which keeps connections open, it runs close_if_unusable_or_obsolete at start and end."""
    environ = {"HTTP_HOST": host, "PATH_INFO": path, "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    status: list[str] = []
    response = WSGIHandler()(environ, lambda code, _headers: status.append(code))
    b"".join(response)
    response.close()  # sends request_finished
    return int(status[0].split()[0])


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_connection_is_replaced_after_serving_more_tenants_than_the_limit(committed_db,
                                                                              settings):
    settings.TENANT_CONNECTION_MAX_SCHEMAS = 2
    connection.close()
    pids = []
    for slug in (*SEEDED_TENANTS[:2], SEEDED_TENANTS[0], SEEDED_TENANTS[2]):
        assert _get(tenant_host(slug), "/api/v1/me") == 401
        pids.append(_backend_pid())
    # acme, globex, acme again: two tenants, one backend. initech is the third: the backend
    # that served it is closed at the end of that request.
    assert pids[0] == pids[1] == pids[2] != pids[3]
    assert connection.tenant_schemas_served == {"t_initech"}  # the new backend's count
    assert _get(tenant_host("initech"), "/api/v1/me") == 401
    assert _backend_pid() == pids[3]  # which is kept


def test_the_default_limit_bounds_memory_and_is_set(settings):
    # ~0.5 MB of catalog cache per tenant schema: a few hundred tenants at most per backend.
    assert 50 <= settings.TENANT_CONNECTION_MAX_SCHEMAS <= 500
