"""Webhooks routes, mounted at /api/v1/webhooks/ by the app's contract."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tenant_apps.webhooks import api

router = SimpleRouter(trailing_slash=False)
router.register("endpoints", api.EndpointViewSet, basename="webhooks-endpoint")
router.register("deliveries", api.DeliveryViewSet, basename="webhooks-delivery")

urlpatterns = [
    path("event-types", api.EventTypesView.as_view(), name="webhooks-event-types"),
    path("", include(router.urls)),
]
