"""Error views for URLs no pattern matches: the API answers in its JSON error format."""

from django.http import HttpRequest, HttpResponse
from django.views.defaults import page_not_found

from tenants.errors import error_response, wants_json


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return error_response(request, 404, "not_found", "Not found.")
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return error_response(request, 500, "server_error",
                              "Something went wrong on our side; it has been logged.")
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)
