"""Query parameters of the inventory lists. Each maps to a selector; a malformed value (``product=
abc``, ``since=2026-02-30``, ``low_stock=maybe``) is a 400 naming the parameter, never ignored."""

from __future__ import annotations

import django_filters

from tenant_apps.core.api.filters import BooleanFilter, IdFilter, InstantFilter, StrictFilterSet
from tenant_apps.inventory import selectors
from tenant_apps.inventory.models import MovementKind


class ProductFilter(StrictFilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=200,
                                       help_text="Words of the name or SKU (prefixes), a SKU "
                                                 "prefix or a barcode.")
    category = IdFilter(field_name="category_id")
    is_active = BooleanFilter(field_name="is_active")
    low_stock = BooleanFilter(method="filter_low_stock",
                                    help_text="At or below the reorder level in a warehouse.")

    def filter_search(self, queryset, name, value):
        return selectors.products_search(queryset, value)

    def filter_low_stock(self, queryset, name, value):
        return queryset if value is None else selectors.products_low_stock(queryset, value)


class StockLevelFilter(StrictFilterSet):
    product = IdFilter(field_name="product_id")
    warehouse = IdFilter(field_name="warehouse_id")
    low = BooleanFilter(method="filter_low")

    def filter_low(self, queryset, name, value):
        return queryset if value is None else selectors.stock_levels_low(queryset, value)


class MovementFilter(StrictFilterSet):
    product = IdFilter(method="filter_movements")
    warehouse = IdFilter(method="filter_movements", help_text="Into or out of this warehouse.")
    kind = django_filters.ChoiceFilter(choices=MovementKind.choices)
    since = InstantFilter(method="filter_movements", help_text="occurred_at >= since")
    until = InstantFilter(method="filter_movements", help_text="occurred_at < until")

    def filter_movements(self, queryset, name, value):
        if value is None:
            return queryset
        key = {"product": "product_id", "warehouse": "warehouse_id"}.get(name, name)
        return selectors.movements_filter(queryset, **{key: value})


class LowStockAlertFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(
        method="filter_status",
        choices=[(s, s) for s in ("open", "acknowledged", "unresolved", "resolved")])
    product = IdFilter(field_name="product_id")
    warehouse = IdFilter(field_name="warehouse_id")

    def filter_status(self, queryset, name, value):
        return selectors.low_stock_alerts_with_status(queryset, value)
