"""URLs of the public host (BASE_DOMAIN, www.BASE_DOMAIN): landing page with sign-up and "find my
workspace", probes, operators."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tenants.domain_api import tls_ask
from tenants.health import healthz, readyz
from tenants.metrics import metrics_view

admin.site.site_header = "Platform console: raw data"
admin.site.site_title = "Raw data"
admin.site.index_title = "Raw data (superusers)"
# The console (shared_apps/console) is where operators work; Django admin stays behind it for
# raw data, for superusers only.
admin.site.has_permission = lambda request: bool(
    request.user.is_active and request.user.is_superuser)

urlpatterns = [
    path("", include("tenants.signup.views")),  # landing, sign-up, find my workspace
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    # The TLS proxy's on-demand certificate check (deploy/Caddyfile).
    path("internal/tls-ask", tls_ask, name="tls-ask"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("console/admin/", admin.site.urls),
    path("console/", include("shared_apps.console.urls")),
    path("api/operator/v1/", include("tenants.api_urls")),
]

handler404 = "tenants.errors.not_found"
handler500 = "tenants.errors.server_error"
