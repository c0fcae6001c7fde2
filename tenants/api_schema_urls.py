"""The URL map the operator API's OpenAPI schema is generated from: the operator routes alone,
at their real prefix."""

from django.urls import include, path

urlpatterns = [path("api/operator/v1/", include("tenants.api_urls"))]
