"""The console's overview: the fleet at a glance (tenants per state, the newest tenants)."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shared_apps.console.access import operator_page
from tenants.models import Tenant, TenantState


@operator_page
def overview(request: HttpRequest) -> HttpResponse:
    counts = dict(Tenant.objects.exclude(schema_name="public").values_list("state")
                  .annotate(n=Count("pk")).values_list("state", "n"))
    states = [{"value": value, "label": label, "count": counts.get(value, 0)}
              for value, label in TenantState.choices]
    newest = (Tenant.objects.exclude(schema_name="public")
              .only("slug", "name", "state", "created_at").order_by("-created_at")[:10])
    return render(request, "console/overview.html", {
        "states": states, "total": sum(counts.values()), "newest": newest})
