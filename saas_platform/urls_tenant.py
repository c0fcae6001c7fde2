"""URLs of a tenant host (<slug>.BASE_DOMAIN or a custom domain)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from saas_platform.health import healthz
from shared_apps.accounts.views import attendance_page, home, inventory_page

urlpatterns = [
    path("", home, name="home"),
    path("inventory/", inventory_page, name="inventory"),
    path("attendance/", attendance_page, name="attendance"),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include("saas_platform.api.urls")),
]

handler404 = "saas_platform.views.not_found"
handler500 = "saas_platform.views.server_error"
