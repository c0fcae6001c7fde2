"""The console's URLs, mounted at /console/ on the public host. Each section of nav.py has its
own module of pages included here."""

from django.urls import include, path

from shared_apps.console import views

app_name = "console"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("plans/", include("shared_apps.console.plan_urls")),
]
