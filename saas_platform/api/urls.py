"""The tenant API, /api/v1/. Each tenant app contributes its own ``urls.py``."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from shared_apps.accounts.api import MeView
from tenant_apps.api_keys.api import ApiKeyViewSet
from tenant_apps.jobs.api import JobViewSet

router = SimpleRouter(trailing_slash=False)
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("jobs", JobViewSet, basename="job")

urlpatterns = [
    path("me", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[]),
         name="api-docs"),
    path("", include(router.urls)),
    path("", include("tenant_apps.inventory.urls")),
    path("", include("tenant_apps.attendance.urls")),
]
