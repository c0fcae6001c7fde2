"""The inventory pages' data tables (tenant_apps/core/tables.py): products, low-stock alerts and a
product's movements."""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from tenant_apps.core.formats import money, qty, when
from tenant_apps.core.links import object_url
from tenant_apps.core.tables import Column, dash


def _sku(p) -> str:
    link = format_html('<a href="{}">{}</a>', object_url("inventory:product", p.pk), p.sku)
    return link if p.is_active else format_html('{} <span class="badge warn">inactive</span>',
                                                link)


PRODUCT_COLUMNS = [
    Column("SKU", _sku, sort="sku"),
    Column("Name", lambda p: p.name, sort="name"),
    Column("Category", lambda p: p.category.name if p.category_id else "—"),
    Column("On hand", lambda p: qty(p.on_hand, p.unit), "num", sort="on_hand"),
    Column("Reorder at", lambda p: qty(p.reorder_level, p.unit) if p.reorder_level else "—",
           "num"),
    Column("Price", lambda p: money(p.price), "num", sort="price"),
]


def _alert_product(a) -> str:
    return format_html('<a href="{}">{}</a> <span class="muted">{}</span>',
                       object_url("inventory:product", a.product_id), a.product.sku,
                       a.product.name)


def _alert_status(a) -> str:
    if a.status == "open":
        return mark_safe('<span class="badge bad">open</span>')
    if a.status == "acknowledged":
        by = a.acknowledged_by.email if a.acknowledged_by_id else "—"
        return format_html('<span class="badge warn">acknowledged</span> '
                           '<span class="muted">by {}</span>', by or "—")
    return mark_safe('<span class="badge ok">resolved</span>')


def alert_columns(request: HttpRequest, *, can_ack: bool) -> list[Column]:
    """The alerts table; members and up get an Acknowledge button on open alerts, which swaps
    its row for the acknowledged one (htmx), or posts and comes back without JavaScript."""
    token = get_token(request) if can_ack else ""

    def action(a) -> str:
        if a.status != "open" or not can_ack:
            return ""
        url = object_url("inventory:alert-ack", a.pk)
        return format_html(
            '<form method="post" action="{}" hx-post="{}" hx-target="#alert-{}" '
            'hx-swap="outerHTML"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="small" aria-label="Acknowledge alert for {} in {}">'
            "Acknowledge</button></form>", url, url, a.pk, token, a.product.sku,
            a.warehouse.code)

    return [
        Column("Product", _alert_product),
        Column("Warehouse", lambda a: a.warehouse.code),
        Column("Why", lambda a: f"{qty(a.quantity, a.product.unit)} in {a.warehouse.code}, "
                                f"reorder at {qty(a.reorder_level, a.product.unit)}"),
        Column("Raised", lambda a: when(a.created_at)),
        Column("Status", _alert_status),
        Column("", action, header=mark_safe('<span class="sr-only">Actions</span>')),
    ]


def _movement_by(m) -> str:
    if m.created_by_id:
        return m.created_by.email
    return f"key {m.api_key_prefix}" if m.api_key_prefix else "—"


MOVEMENT_COLUMNS = [
    Column("When", lambda m: when(m.occurred_at)),
    Column("Kind", lambda m: m.get_kind_display()),
    Column("Quantity", lambda m: qty(m.quantity, m.product.unit), "num"),
    Column("From", lambda m: m.from_warehouse.code if m.from_warehouse_id else "—"),
    Column("To", lambda m: m.to_warehouse.code if m.to_warehouse_id else "—"),
    Column("Reference", lambda m: dash(m.reference)),
    Column("By", _movement_by),
]
