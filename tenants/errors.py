"""Error pages for requests turned away before any view runs: JSON under /api/, HTML elsewhere,
in the platform's one error format."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


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
