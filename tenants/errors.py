"""Error pages for requests turned away before any view runs (routing), and for URLs no pattern
matches: JSON under /api/, HTML elsewhere, in the platform's one error format."""

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import page_not_found
from django.views.defaults import server_error as html_server_error

from tenant_apps.core.outages import RETRY_AFTER_SECONDS, outage_error


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def error_response(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if wants_json(request):
        return JsonResponse(
            {"error": {"code": code, "message": message, "fields": {}}}, status=status
        )
    html = render_to_string("errors/tenant_error.html", {"status": status, "code": code,
                                                         "message": message})
    return HttpResponse(html, status=status)


def outage_page(request: HttpRequest, exc: BaseException | None) -> HttpResponse | None:
    """The 503 (with Retry-After) for ``exc`` if it says PostgreSQL or Redis is unreachable,
    else None. The response is marked with the dependency for the outage middleware."""
    error = outage_error(exc)
    if error is None:
        return None
    response = error_response(request, error.status, error.code, error.message)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.outage = error.dependency
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return error_response(request, 404, "not_found", "Not found.")
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its ``except`` block: an outage raised in a middleware (the
    # routing middleware's host lookup, say) is answered 503, not 500 (tenants/outages.py).
    outage = outage_page(request, sys.exc_info()[1])
    if outage is not None:
        return outage
    if wants_json(request):
        return error_response(request, 500, "server_error",
                              "Something went wrong on our side; it has been logged.")
    return html_server_error(request)
