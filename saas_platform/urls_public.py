"""URLs of the public host (BASE_DOMAIN, www.BASE_DOMAIN): landing page with sign-up and "find my
workspace", probes, operators."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

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
# Operators sign in through allauth (the same second factor as members), not the admin's form.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", include("tenants.signup.views")),  # landing, sign-up, find my workspace
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    # The TLS proxy's on-demand certificate check (deploy/Caddyfile).
    path("internal/tls-ask", tls_ask, name="tls-ask"),
    path("accounts/", include("allauth.urls")),
    # The old sign-in addresses, kept working: allauth's pages are the only sign-in.
    path("login/", RedirectView.as_view(pattern_name="account_login", query_string=True),
         name="login"),
    path("logout/", RedirectView.as_view(pattern_name="account_logout"), name="logout"),
    path("console/admin/", admin.site.urls),
    path("console/", include("shared_apps.console.urls")),
    path("api/operator/v1/", include("tenants.api_urls")),
]

if settings.DEBUG:
    # make run: every e-mail sent, readable in the browser (shared_apps/accounts/dev_mail.py).
    urlpatterns.append(path("dev/mail/", include("shared_apps.accounts.dev_mail")))

handler404 = "tenants.errors.not_found"
handler500 = "tenants.errors.server_error"
