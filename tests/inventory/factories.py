"""Inventory rows for tests. Call inside a tenant's schema (``with in_tenant("acme"):``)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from tenant_apps.inventory.models import Category, Product, StockMovement, Warehouse
from tenant_apps.inventory.services import stock_movement_record

_seq = itertools.count(1)


def category(name: str | None = None, **fields) -> Category:
    return Category.objects.create(name=name or f"Category {next(_seq)}", **fields)


def product(sku: str | None = None, **fields) -> Product:
    n = next(_seq)
    fields.setdefault("name", f"Product {n}")
    fields.setdefault("cost", Decimal("2.50"))
    fields.setdefault("price", Decimal("4.00"))
    return Product.objects.create(sku=sku or f"SKU-{n:05d}", **fields)


def warehouse(code: str | None = None, **fields) -> Warehouse:
    n = next(_seq)
    fields.setdefault("name", f"Warehouse {n}")
    return Warehouse.objects.create(code=code or f"WH{n}", **fields)


def receive(item: Product, into: Warehouse, quantity: str | int | Decimal,
            **extra) -> StockMovement:
    return stock_movement_record(kind="receipt", product_id=item.pk, to_warehouse_id=into.pk,
                                 quantity=Decimal(str(quantity)), **extra)


def issue(item: Product, out_of: Warehouse, quantity: str | int | Decimal,
          **extra) -> StockMovement:
    return stock_movement_record(kind="issue", product_id=item.pk, from_warehouse_id=out_of.pk,
                                 quantity=Decimal(str(quantity)), **extra)
