"""URLs of the single-schema baseline of ``bench/routing.py`` (settings ``bench_plain``): the
measured tenant API view at the same path, no tenant routing."""

from collections.abc import Callable
from types import SimpleNamespace

from django.http import HttpRequest, HttpResponse
from django.urls import path

from tenant_apps.core.api.me import MeView
from tenants.health import healthz

# What the routing middleware would have found; a plain single-schema app has one "tenant".
PLAIN_TENANT = SimpleNamespace(
    slug="plain", name="Plain single-schema baseline", schema_name="public"
)


class StaticTenantMiddleware:
    """Stands where tenants.middleware.TenantRoutingMiddleware stands in the routed stack, so
    the view finds ``request.tenant``; costs one attribute assignment."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = PLAIN_TENANT
        return self.get_response(request)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Only the measured view: the full tenant API will import tenant apps this baseline lacks.
    path("api/v1/me", MeView.as_view(), name="api-me"),
]
