"""Filtering, searching and ordering the tenant list: one FilterSet for the operator API and the
console, strict like the tenant API's (``?state=bogus`` or ``?ordering=bogus`` is a 400 naming
the parameter, never a silently unfiltered list)."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet

from tenant_apps.core.api.filters import StrictFilterSet
from tenant_apps.core.errors import InvalidInput
from tenants.models import Plan, Tenant, TenantState

SEARCH_MAX_LENGTH = 200
ORDERINGS = ("slug", "name", "state", "created_at", "last_activity_at")


class TenantFilter(StrictFilterSet):
    state = filters.ChoiceFilter(choices=TenantState.choices)
    search = filters.CharFilter(method="filter_search", max_length=SEARCH_MAX_LENGTH,
                                help_text="Part of the slug, name, a domain or the owner's "
                                          "e-mail (case-insensitive).")
    ordering = filters.OrderingFilter(fields=ORDERINGS, help_text=(
        "One of " + ", ".join(ORDERINGS) + "; prefix - for descending."))
    plan = filters.ChoiceFilter(field_name="plan__slug", choices=lambda: list(
        Plan.objects.order_by("position", "slug").values_list("slug", "name")),
        help_text="A plan's slug (GET plans).")

    class Meta:
        model = Tenant
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Tenant], name: str, value: str):
        if "\x00" in value:
            return queryset.none()
        words = value.split()[:10]
        for word in words:
            matching = Tenant.objects.filter(
                Q(slug__icontains=word) | Q(name__icontains=word)
                | Q(owner_email__icontains=word) | Q(domains__domain__icontains=word)
            ).values("pk")
            queryset = queryset.filter(pk__in=matching)
        return queryset


def tenants_filtered(params, queryset: QuerySet[Tenant] | None = None) -> QuerySet[Tenant]:
    """The tenants ``params`` (a QueryDict) select, by slug unless ``ordering`` says
    otherwise; InvalidInput with a message per bad parameter."""
    queryset = queryset if queryset is not None else (
        Tenant.objects.exclude(schema_name="public").order_by("slug"))
    if "\x00" in params.get("search", ""):
        raise InvalidInput(fields={"search": ["Must not contain NUL characters."]})
    filterset = TenantFilter(params, queryset=queryset)
    if not filterset.is_valid():
        raise InvalidInput(fields={k: [str(m) for m in v] for k, v in filterset.errors.items()})
    return filterset.qs
