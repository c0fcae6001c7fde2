"""Writes of the inventory, one module per part: ``catalog`` (categories, products, warehouses),
``stock`` (movements and counts: the only place stock changes) and ``alerts`` (low stock)."""

from tenant_apps.inventory.services.alerts import low_stock_alert_acknowledge, low_stock_check
from tenant_apps.inventory.services.catalog import (
    category_create,
    category_delete,
    category_update,
    product_create,
    product_delete,
    product_update,
    warehouse_create,
    warehouse_delete,
    warehouse_update,
)
from tenant_apps.inventory.services.stock import (
    MAX_BULK_MOVEMENTS,
    MovementInput,
    StockCount,
    stock_counts_record,
    stock_movement_record,
    stock_movements_record,
)

__all__ = [
    "MAX_BULK_MOVEMENTS", "MovementInput", "StockCount", "category_create", "category_delete",
    "category_update", "low_stock_alert_acknowledge", "low_stock_check", "product_create",
    "product_delete", "product_update", "stock_counts_record", "stock_movement_record",
    "stock_movements_record", "warehouse_create", "warehouse_delete", "warehouse_update",
]
