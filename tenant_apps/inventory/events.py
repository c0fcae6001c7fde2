"""The payloads of the inventory's integration events (catalogue: tenant_apps/webhooks/
catalogue.py). Thin on purpose: ids and what an integrator needs to decide to fetch more."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tenant_apps.inventory.models import Product, StockMovement


def _decimal(value) -> str:
    return f"{Decimal(value).normalize():f}"


def product_event(product: Product) -> dict[str, Any]:
    return {"id": product.pk, "sku": product.sku, "name": product.name,
            "is_active": product.is_active, "reorder_level": _decimal(product.reorder_level),
            "updated_at": product.updated_at}


def movement_event(movement: StockMovement, products: dict, warehouses: dict) -> dict[str, Any]:
    def warehouse(warehouse_id: int | None) -> dict | None:
        if warehouse_id is None:
            return None
        return {"id": warehouse_id, "code": warehouses[warehouse_id].code}

    return {"id": movement.pk, "kind": movement.kind,
            "product": {"id": movement.product_id, "sku": products[movement.product_id].sku},
            "quantity": _decimal(movement.quantity),
            "from_warehouse": warehouse(movement.from_warehouse_id),
            "to_warehouse": warehouse(movement.to_warehouse_id),
            "reference": movement.reference, "occurred_at": movement.occurred_at}


def low_stock_event(level) -> dict[str, Any]:
    """``level``: a StockLevel annotated with ``reorder``, ``sku`` and ``code``."""
    return {"product": {"id": level.product_id, "sku": level.sku},
            "warehouse": {"id": level.warehouse_id, "code": level.code},
            "quantity": _decimal(level.quantity), "reorder_level": _decimal(level.reorder)}


def import_event(job) -> dict[str, Any]:
    """``job``: the core's Job of a finished import."""
    return {"job_id": job.pk, "kind": job.params.get("kind", ""), "status": job.status,
            "result": job.result or {}, "error": job.error or ""}
