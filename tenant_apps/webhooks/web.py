"""The webhooks page of the tenant web app, mounted at /webhooks/ by the app's contract. It
drives the same API integrators use (/api/v1/webhooks/)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.csrf import ensure_csrf_cookie

from tenant_apps.core.roles import Role, role_at_least
from tenant_apps.webhooks.catalogue import SUBSCRIBABLE


@login_required
@ensure_csrf_cookie
def webhooks_page(request: HttpRequest) -> HttpResponse:
    if not role_at_least(request.user.role, Role.ADMIN):
        raise PermissionDenied
    return render(request, "webhooks/endpoints.html",
                  {"tenant": request.tenant, "event_types": SUBSCRIBABLE})


urlpatterns = [path("", webhooks_page, name="home")]
