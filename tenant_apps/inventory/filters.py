"""Query parameters of the inventory lists. Each maps to a selector; a malformed value (``product=
abc``, ``since=2026-02-30``, ``low_stock=maybe``) is a 400 naming the parameter, never ignored."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.filters import OrderingFilter, SearchFilter

from tenant_apps.core.api.filters import StrictIdField
from tenant_apps.inventory import selectors
from tenant_apps.inventory.models import MovementKind


class NotBlankMixin:
    """A parameter that is present must have a value: ``?product=`` is a 400, not "no filter"."""

    def clean(self, value):
        if value == "":
            raise forms.ValidationError("Give a value, or leave the parameter out.")
        return super().clean(value)


class IdField(NotBlankMixin, StrictIdField):
    pass


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.Filter):
    # An integer, not NumberFilter's decimal: a numeric parameter compared with a bigint column
    # would keep PostgreSQL from using the index.
    field_class = IdField


class StrictBooleanField(NotBlankMixin, forms.Field):
    TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Use true or false.")


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class InstantField(NotBlankMixin, forms.Field):
    """An ISO 8601 date (midnight UTC) or date and time; without an offset, UTC."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            parsed = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise forms.ValidationError(
                "Enter a date (2026-01-31) or a date and time (2026-01-31T08:00:00Z).") from None
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=dt.UTC)
        try:
            # Sent to PostgreSQL in UTC: it refuses offsets beyond +-15:59 that Python accepts.
            return parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("That instant is out of range.") from None


@extend_schema_field(OpenApiTypes.DATETIME)
class InstantFilter(django_filters.Filter):
    field_class = InstantField


class StrictChoiceField(NotBlankMixin, django_filters.fields.ChoiceField):
    pass


class StrictChoiceFilter(django_filters.ChoiceFilter):
    field_class = StrictChoiceField


class ProductFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=200,
                                       help_text="Words of the name or SKU (prefixes), a SKU "
                                                 "prefix or a barcode.")
    category = IdFilter(field_name="category_id")
    is_active = StrictBooleanFilter(field_name="is_active")
    low_stock = StrictBooleanFilter(method="filter_low_stock",
                                    help_text="At or below the reorder level in a warehouse.")

    def filter_search(self, queryset, name, value):
        return selectors.products_search(queryset, value)

    def filter_low_stock(self, queryset, name, value):
        return queryset if value is None else selectors.products_low_stock(queryset, value)


class StockLevelFilter(django_filters.FilterSet):
    product = IdFilter(field_name="product_id")
    warehouse = IdFilter(field_name="warehouse_id")
    low = StrictBooleanFilter(method="filter_low")

    def filter_low(self, queryset, name, value):
        return queryset if value is None else selectors.stock_levels_low(queryset, value)


class MovementFilter(django_filters.FilterSet):
    product = IdFilter(method="filter_movements")
    warehouse = IdFilter(method="filter_movements", help_text="Into or out of this warehouse.")
    kind = StrictChoiceFilter(choices=MovementKind.choices)
    since = InstantFilter(method="filter_movements", help_text="occurred_at >= since")
    until = InstantFilter(method="filter_movements", help_text="occurred_at < until")

    def filter_movements(self, queryset, name, value):
        if value is None:
            return queryset
        key = {"product": "product_id", "warehouse": "warehouse_id"}.get(name, name)
        return selectors.movements_filter(queryset, **{key: value})


class LowStockAlertFilter(django_filters.FilterSet):
    status = StrictChoiceFilter(
        method="filter_status",
        choices=[(s, s) for s in ("open", "acknowledged", "unresolved", "resolved")])
    product = IdFilter(field_name="product_id")
    warehouse = IdFilter(field_name="warehouse_id")

    def filter_status(self, queryset, name, value):
        return selectors.low_stock_alerts_with_status(queryset, value)


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` with a field the list cannot be ordered by is a 400 listing the choices
    (DRF would silently fall back to the default order)."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len(fields):
            choices = [name for name, _ in self.get_valid_fields(queryset, view,
                                                                 {"request": request})]
            raise serializers.ValidationError(
                {self.ordering_param: [f"Order by one of: {', '.join(choices)} (prefix - for "
                                       "descending)."]})
        return valid


FILTER_BACKENDS = [DjangoFilterBackend, SearchFilter, StrictOrderingFilter]
