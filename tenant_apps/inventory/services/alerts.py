"""Low-stock alerts: raised and resolved by the daily check, acknowledged by people."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from tenant_apps.core.events import events_emit
from tenant_apps.inventory.events import low_stock_event
from tenant_apps.inventory.models import LowStockAlert, StockLevel


def _low_levels():
    """Levels at or below their product's reorder level, where the product is tracked (reorder
    level above zero) and both product and warehouse are active."""
    return StockLevel.objects.filter(
        product__reorder_level__gt=0, quantity__lte=F("product__reorder_level"),
        product__is_active=True, warehouse__is_active=True)


def low_stock_check() -> dict[str, int]:
    """Raise an alert for each low level that has no unresolved one, and resolve the alerts
    whose level has recovered. Idempotent; safe to run twice at once (the partial unique index
    keeps one unresolved alert per product and warehouse)."""
    now = timezone.now()
    unresolved = LowStockAlert.objects.filter(resolved_at__isnull=True)
    low = _low_levels().exclude(Exists(unresolved.filter(
        product_id=OuterRef("product_id"), warehouse_id=OuterRef("warehouse_id"))))
    levels = list(low.annotate(reorder=F("product__reorder_level"), sku=F("product__sku"),
                               code=F("warehouse__code")))
    new_alerts = [
        LowStockAlert(product_id=level.product_id, warehouse_id=level.warehouse_id,
                      quantity=level.quantity, reorder_level=level.reorder)
        for level in levels]
    # A concurrent check may have raised some of them since: those are skipped.
    with transaction.atomic():
        LowStockAlert.objects.bulk_create(new_alerts, ignore_conflicts=True, batch_size=1000)
        events_emit("stock.low", [low_stock_event(level) for level in levels])
    recovered = unresolved.exclude(Exists(_low_levels().filter(
        product_id=OuterRef("product_id"), warehouse_id=OuterRef("warehouse_id"))))
    resolved = recovered.update(resolved_at=now)
    return {"raised": len(new_alerts), "resolved": resolved}


def low_stock_alert_acknowledge(*, alert: LowStockAlert, user) -> LowStockAlert:
    """Mark an alert as seen; it stays unresolved (and no new one is raised) until the level
    recovers. Acknowledging twice keeps the first acknowledgement."""
    updated = LowStockAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=user)
    if updated:
        alert.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    return alert
