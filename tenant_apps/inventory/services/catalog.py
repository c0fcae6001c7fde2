"""The catalog: categories, products and warehouses. Plain writes through the core's
``model_save`` / ``model_update`` / ``model_delete``, which turn a unique index or a protected
reference into the platform's 400 and 409 (the serializers check uniqueness first, for a friendly
message; a request racing another past that check gets the same answer from the index)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tenant_apps.core.events import event_emit
from tenant_apps.core.limits import quota_check, storage_check
from tenant_apps.core.services.model_writes import model_delete, model_save, model_update
from tenant_apps.inventory.events import product_event
from tenant_apps.inventory.models import Category, Product, Warehouse

CATEGORY_FIELDS = ("name", "description")
PRODUCT_FIELDS = ("sku", "name", "description", "unit", "category", "barcode", "price", "cost",
                  "reorder_level", "is_active")
WAREHOUSE_FIELDS = ("code", "name", "address", "is_active")

CATEGORY_UNIQUE = {"name": "A category with this name exists."}
PRODUCT_UNIQUE = {"sku": "A product with this SKU exists.",
                  "barcode": "A product with this barcode exists."}
WAREHOUSE_UNIQUE = {"code": "A warehouse with this code exists."}


def category_create(*, name: str, description: str = "") -> Category:
    return model_save(Category(name=name, description=description),
                      unique_messages=CATEGORY_UNIQUE)


def category_update(*, category: Category, data: dict[str, Any]) -> Category:
    return model_update(instance=category, fields=CATEGORY_FIELDS, data=data,
                        unique_messages=CATEGORY_UNIQUE)[0]


def category_delete(*, category: Category) -> None:
    model_delete(category, in_use_code="category_in_use",
                 in_use_message="This category still has products; move them to another "
                                "category first.")


# Atomic: the integration event is written with the change or not at all.
@transaction.atomic
def product_create(**fields: Any) -> Product:
    storage_check()
    quota_check("products", used=Product.objects.count)
    product = model_save(Product(**fields), unique_messages=PRODUCT_UNIQUE)
    event_emit("product.created", product_event(product))
    return product


@transaction.atomic
def product_update(*, product: Product, data: dict[str, Any]) -> Product:
    product, changed = model_update(instance=product, fields=PRODUCT_FIELDS, data=data,
                                    unique_messages=PRODUCT_UNIQUE)
    if changed:
        event_emit("product.updated", product_event(product))
    return product


@transaction.atomic
def product_delete(*, product: Product) -> None:
    deleted = {"id": product.pk, "sku": product.sku}
    model_delete(product, in_use_code="product_in_use",
                 in_use_message="This product has stock movements and cannot be deleted; "
                                "deactivate it instead.")
    event_emit("product.deleted", deleted)


def warehouse_create(**fields: Any) -> Warehouse:
    return model_save(Warehouse(**fields), unique_messages=WAREHOUSE_UNIQUE)


def warehouse_update(*, warehouse: Warehouse, data: dict[str, Any]) -> Warehouse:
    return model_update(instance=warehouse, fields=WAREHOUSE_FIELDS, data=data,
                        unique_messages=WAREHOUSE_UNIQUE)[0]


def warehouse_delete(*, warehouse: Warehouse) -> None:
    model_delete(warehouse, in_use_code="warehouse_in_use",
                 in_use_message="This warehouse has stock movements and cannot be deleted; "
                                "deactivate it instead.")
