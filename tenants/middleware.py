"""Per-request schema selection from the Host header.

Replaces django-tenants' TenantMainMiddleware, which queries the Domain table on every request and
resets the connection to ``public`` first (forcing a ``SET search_path`` on every request). Here:

* the host -> tenant lookup is cached (``tenants.routing``), so a warm request runs no query;
* the schema is switched only when the connection's current schema differs, so a run of requests
  for one tenant on a persistent connection issues ``SET search_path`` once. Every request still
  selects its own schema explicitly, so nothing carries over from the previous request;
* an unknown host gets a 404, never the public site; a suspended tenant a 403.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.urls import set_urlconf

from tenants.activity import activity_touch
from tenants.errors import error_response
from tenants.models import TenantState
from tenants.routing import host_router


def request_hostname(request: HttpRequest) -> str:
    """The request's host name, lowercased, without port; '' when malformed.

    ``request.get_host()`` would validate against ALLOWED_HOSTS, which for custom domains is only
    known after this lookup, so the raw header is parsed with Django's own splitter instead.
    """
    domain, _port = split_domain_port(request._get_raw_host())
    return domain.rstrip(".")


def activate_schema(tenant) -> None:
    """Point the connection at ``tenant``'s schema, issuing no SET when it is already there."""
    if connection.schema_name == tenant.schema_name and connection.search_path_set_schemas:
        connection.tenant = tenant
        return
    connection.set_tenant(tenant)
    _send_set_as_health_check()


def _send_set_as_health_check() -> None:
    """With CONN_HEALTH_CHECKS, the first query of a request on a reused connection is preceded
    by Django's ``SELECT 1``, and on a tenant switch by the ``SET search_path`` as well: two
    round trips before any work. A SET that succeeds proves the connection alive just as well,
    so send it now and let it count as the check. If it fails the connection is closed, as a
    failed check closes it; the next query reconnects and sets the path again.

    Uses django-tenants' ``_handle_search_path`` (pinned in uv.lock), which sends the SET on a
    raw cursor, so no health check of Django's runs before it."""
    if (connection.connection is None or not connection.health_check_enabled
            or connection.health_check_done or connection.in_atomic_block):
        return
    try:
        connection._handle_search_path()
    except psycopg.Error:
        connection.close()
        return
    # None: the SET failed inside a broken transaction; leave the check to Django.
    if connection.search_path_set_schemas is not None:
        connection.health_check_done = True


class TenantRoutingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        hostname = request_hostname(request)
        route = host_router.resolve(hostname) if hostname else None

        if route is None or not route.found:
            self._select_public()
            return error_response(request, 404, "tenant_not_found",
                                  "No tenant is served at this address.")

        if route.is_public:
            self._select_public()
            request.tenant = connection.tenant
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return self.get_response(request)

        tenant = route.tenant
        if tenant.state == TenantState.SUSPENDED:
            self._select_public()
            message = "This workspace is suspended."
            if tenant.suspension_reason:
                message += f" Reason: {tenant.suspension_reason}"
            return error_response(request, 403, "tenant_suspended",
                                  f"{message} Contact the platform operator.")
        if tenant.state == TenantState.PROVISIONING:
            self._select_public()
            response = error_response(request, 503, "tenant_provisioning",
                                      "This workspace is being set up. Try again in a moment.")
            response["Retry-After"] = "5"
            return response
        if tenant.state != TenantState.ACTIVE:
            self._select_public()
            return error_response(request, 404, "tenant_not_found",
                                  "No tenant is served at this address.")

        activity_touch(tenant)
        activate_schema(tenant)
        request.tenant = tenant
        request.urlconf = settings.ROOT_URLCONF
        set_urlconf(request.urlconf)
        return self.get_response(request)

    @staticmethod
    def _select_public() -> None:
        if connection.schema_name != settings.PUBLIC_SCHEMA_NAME:
            connection.set_schema_to_public()
