"""The attendance pages of the tenant web app, mounted at /attendance/ by the app's contract."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.csrf import ensure_csrf_cookie


@login_required
@ensure_csrf_cookie
def attendance_page(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/attendance.html", {"tenant": request.tenant})


urlpatterns = [path("", attendance_page, name="home")]
