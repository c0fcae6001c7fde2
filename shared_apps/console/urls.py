"""The console's URLs, mounted at /console/ on the public host. Each section of nav.py has its
own module of pages included here."""

from django.urls import include, path

from shared_apps.console import audit_pages, cluster_pages, views

app_name = "console"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("tenants/", include("shared_apps.console.tenant_pages")),
    path("cluster/", include(cluster_pages.urlpatterns)),
    path("audit/", include(audit_pages)),
    path("plans/", include("shared_apps.console.plan_urls")),
]
