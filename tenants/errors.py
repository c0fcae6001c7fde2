"""Error pages for requests turned away before any view runs (routing), and for URLs no pattern
matches: JSON under /api/, HTML elsewhere, in the platform's one error format."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import page_not_found
from django.views.defaults import server_error as html_server_error


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


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return error_response(request, 404, "not_found", "Not found.")
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return error_response(request, 500, "server_error",
                              "Something went wrong on our side; it has been logged.")
    return html_server_error(request)
