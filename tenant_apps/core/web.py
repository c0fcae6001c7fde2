"""Pages of a tenant host that belong to no feature app: the home page. Each feature app's pages
live in its own ``web.py`` and are mounted through its contract."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "tenant/home.html", {"tenant": request.tenant})
