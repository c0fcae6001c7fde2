"""URLs of the public host (BASE_DOMAIN, www.BASE_DOMAIN): landing page, probes, operators."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from tenants.domain_api import tls_ask
from tenants.health import healthz, readyz
from tenants.metrics import metrics_view

admin.site.site_header = "Platform console"
admin.site.site_title = "Platform console"
admin.site.index_title = "Tenants and operators"
# Operators sign in through allauth (the same second factor as members), not the admin's form.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", TemplateView.as_view(template_name="public/landing.html"), name="landing"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    # The TLS proxy's on-demand certificate check (deploy/Caddyfile).
    path("internal/tls-ask", tls_ask, name="tls-ask"),
    path("accounts/", include("allauth.urls")),
    path("console/", admin.site.urls),
    path("api/operator/v1/", include("tenants.api_urls")),
]

if settings.DEBUG:
    # make run: every e-mail sent, readable in the browser (shared_apps/accounts/dev_mail.py).
    urlpatterns.append(path("dev/mail/", include("shared_apps.accounts.dev_mail")))

handler404 = "tenants.errors.not_found"
handler500 = "tenants.errors.server_error"
