"""URLs of the public host (BASE_DOMAIN, www.BASE_DOMAIN): landing page with sign-up and "find my
workspace", probes, operators."""

from django.contrib import admin
from django.urls import include, path

from tenants.domain_api import tls_ask
from tenants.health import healthz, readyz
from tenants.metrics import metrics_view

admin.site.site_header = "Platform console"
admin.site.site_title = "Platform console"
admin.site.index_title = "Tenants and operators"

urlpatterns = [
    path("", include("tenants.signup.views")),  # landing, sign-up, find my workspace
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    # The TLS proxy's on-demand certificate check (deploy/Caddyfile).
    path("internal/tls-ask", tls_ask, name="tls-ask"),
    path("console/", admin.site.urls),
    path("api/operator/v1/", include("tenants.api_urls")),
]

handler404 = "tenants.errors.not_found"
handler500 = "tenants.errors.server_error"
