"""URLs of a tenant host (<slug>.BASE_DOMAIN or a custom domain). Every tenant app's API and pages
come from its contract (tenant_apps/core/contract.py): none is listed here by hand. URL names are
namespaced by app: ``inventory:home`` (a page), ``inventory-api:inventory-product-list``."""

from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from shared_apps.accounts.views import profile
from tenant_apps.core.contract import tenant_app_contracts
from tenants.health import healthz


def _mounted(prefix: str, module: str, namespace: str):
    return path(f"{prefix}/" if prefix else "", include((module, namespace)))


_contracts = tenant_app_contracts()

api_urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[]),
         name="api-docs"),
    *(_mounted(c.prefix, c.api_urls, f"{c.label}-api") for c in _contracts if c.api_urls),
    # The workspace's custom domains: registry data, so served by the control plane.
    path("", include("tenants.tenant_domain_api")),
]

urlpatterns = [
    path("", include("tenant_apps.core.web")),  # dashboard, style guide, settings, API keys
    path("settings/domains/", include("tenants.tenant_domain_pages")),  # control-plane data
    path("support/", include("tenants.impersonation_pages")),  # operators' "view as"
    path("healthz", healthz, name="healthz"),
    # django-allauth: sign-in, sign-out, password reset and change, e-mail, two-factor,
    # sessions (docs/accounts.md). Sign-up is closed: members join by invitation.
    path("accounts/", include("allauth.urls")),
    path("profile/", profile, name="profile"),
    # Old addresses of the sign-in and sign-out pages.
    path("login/", RedirectView.as_view(pattern_name="account_login", query_string=True),
         name="login"),
    path("logout/", RedirectView.as_view(pattern_name="account_logout"), name="logout"),
    path("api/v1/", include(api_urlpatterns)),
    *(_mounted(c.prefix, c.web_urls, c.label) for c in _contracts if c.web_urls),
]

handler404 = "tenants.errors.not_found"
handler500 = "tenants.errors.server_error"
