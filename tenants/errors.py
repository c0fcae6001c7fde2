"""Error pages for requests turned away before any view runs (routing), and for URLs no pattern
matches: JSON under /api/, HTML elsewhere, in the platform's one error format."""

import sys
from collections.abc import Callable
from http import HTTPStatus

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


# Codes for the statuses Django or a non-DRF view can answer under /api/ by themselves; DRF's own
# answers already carry the same codes (tenant_apps/core/api/errors.py).
_CODES = {400: "malformed_request", 401: "not_authenticated", 403: "permission_denied",
          404: "not_found", 405: "method_not_allowed", 406: "not_acceptable",
          413: "request_too_large", 415: "unsupported_media_type", 429: "rate_limited"}
# Headers of the refused response that still mean something in the JSON one.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "X-Request-ID",
                 "RateLimit", "RateLimit-Policy")


class ApiErrorFormatMiddleware:
    """Every 4xx under /api/ in the one error format, on any host (tenant subdomains, custom
    domains, the public host), whoever produced it: with DEBUG on (``make run``) Django answers
    an unmatched URL (``/api/v1/jobs/1.5``) with its HTML debug page instead of the 404
    handler; a view that is not DRF's (the API docs page) answers a 405 in HTML; the schema
    view, in its own media type. An integrator who parses the error gets JSON every time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (400 <= response.status_code < 500 and request.path.startswith("/api/")
                and not response.get("Content-Type", "").startswith("application/json")):
            status = response.status_code
            try:
                phrase = HTTPStatus(status).phrase
            except ValueError:
                phrase = "Request refused"
            code = _CODES.get(status, phrase.lower().replace(" ", "_").replace("-", "_"))
            message = "Not found." if status == 404 else f"{phrase}."
            replacement = JsonResponse({"error": {"code": code, "message": message,
                                                  "fields": {}}}, status=status)
            for header in _KEPT_HEADERS:
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response
