"""Inventory rows for tests (factory_boy, as every app's tests). Call inside a tenant's schema
(``with in_tenant("acme"):``). Stock only changes through the ledger's service, so stock comes
from ``receive`` / ``issue``, never from a factory."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from tenant_apps.inventory.models import (
    Category,
    LowStockAlert,
    Product,
    StockMovement,
    Warehouse,
)
from tenant_apps.inventory.services import low_stock_check, stock_movement_record


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    cost = Decimal("2.50")
    price = Decimal("4.00")


class WarehouseFactory(DjangoModelFactory):
    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"WH{n}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")


def receive(item: Product, into: Warehouse, quantity: str | int | Decimal,
            **extra) -> StockMovement:
    return stock_movement_record(kind="receipt", product_id=item.pk, to_warehouse_id=into.pk,
                                 quantity=Decimal(str(quantity)), **extra)


def issue(item: Product, out_of: Warehouse, quantity: str | int | Decimal,
          **extra) -> StockMovement:
    return stock_movement_record(kind="issue", product_id=item.pk, from_warehouse_id=out_of.pk,
                                 quantity=Decimal(str(quantity)), **extra)


def open_low_stock_alert(*, sku: str = "WASH-1", warehouse: str = "MAIN", reorder_level: int = 10,
                         on_hand: int = 2) -> LowStockAlert:
    """A product below its reorder level in one warehouse, and the alert the daily check
    raises for it."""
    main = WarehouseFactory(code=warehouse)
    item = ProductFactory(sku=sku, reorder_level=reorder_level)
    receive(item, main, on_hand)
    low_stock_check()
    return item.low_stock_alerts.get()
