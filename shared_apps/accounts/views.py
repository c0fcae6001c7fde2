"""Server-rendered pages of a tenant host. They are thin shells: the data comes from the tenant
API (/api/v1/, same session, CSRF token), so the web UI and integrators see one behaviour."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "tenant/home.html", {"tenant": request.tenant})


@login_required
@ensure_csrf_cookie
def inventory_page(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/inventory.html", {"tenant": request.tenant})


@login_required
@ensure_csrf_cookie
def attendance_page(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/attendance.html", {"tenant": request.tenant})
