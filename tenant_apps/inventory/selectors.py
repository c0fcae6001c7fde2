"""Reads of the inventory. Each list comes with what its rows show already joined, so a page
costs the same number of queries whatever its length."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Lookup

from tenant_apps.inventory.models import (
    LEVEL_DIGITS,
    QUANTITY_PLACES,
    SKU_KEY,
    Category,
    LowStockAlert,
    Product,
    StockLevel,
    StockMovement,
    Warehouse,
)

_LEVEL = DecimalField(max_digits=LEVEL_DIGITS + 3, decimal_places=QUANTITY_PLACES)
_MONEY = DecimalField(max_digits=30, decimal_places=2)
ZERO = Decimal("0")
# Letters and digits: what a search term is split into (everything else separates words, as
# PostgreSQL's parser does), and all that reaches the tsquery, so no input can break its syntax.
_WORD = re.compile(r"[^\W_]+(?:\.[^\W_]+)*")
MAX_SEARCH_WORDS = 8


class _LikePrefix(Lookup):
    """``lhs LIKE 'prefix%'``. Django's ``startswith`` casts its left side to text, which drops
    the "C" collation of the SKU index and with it the use of the index."""

    lookup_name = "like_prefix"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [connection.ops.prep_for_like_query(value) + "%"]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


# -- products ---------------------------------------------------------------------------------
def category_list() -> QuerySet[Category]:
    return Category.objects.annotate(product_count=Count("products")).order_by("name", "id")


def warehouse_list() -> QuerySet[Warehouse]:
    return Warehouse.objects.all()


def _low_level_of(product_ref: str = "pk"):
    """Levels of the outer product at or below its reorder level in an active warehouse."""
    return StockLevel.objects.filter(
        product_id=OuterRef(product_ref), warehouse__is_active=True,
        quantity__lte=OuterRef("reorder_level"))


def _product_list() -> QuerySet[Product]:
    on_hand = (StockLevel.objects.filter(product_id=OuterRef("pk")).order_by()
               .values("product_id").annotate(total=Sum("quantity")).values("total"))
    return (Product.objects.select_related("category").defer("search_vector")
            .annotate(on_hand=Coalesce(Subquery(on_hand, output_field=_LEVEL),
                                       Value(ZERO), output_field=_LEVEL)))


# Built once: assembling the annotated query costs more than cloning it (a query names no
# schema; the connection's search_path picks the tenant when it runs).
_PRODUCT_LIST = _product_list()


def product_list() -> QuerySet[Product]:
    """Products with their category and ``on_hand`` (stock in all warehouses)."""
    return _PRODUCT_LIST.all()


def products_search(queryset: QuerySet[Product], term: str) -> QuerySet[Product]:
    """Products whose name or SKU has words starting with each word of ``term`` ("hex m8"
    finds "Hex bolt M8x40"), whose SKU starts with ``term``, or whose barcode is ``term``.
    Case-insensitive; served by the GIN index on the search vector and the SKU index."""
    term = term.strip()[:200]
    if not term:
        return queryset
    condition = Q(_LikePrefix(SKU_KEY, term.lower())) | Q(barcode=term)
    words = _WORD.findall(term)[:MAX_SEARCH_WORDS]
    if words:
        query = SearchQuery(" & ".join(f"{w}:*" for w in words), config="simple",
                            search_type="raw")
        condition |= Q(search_vector=query)
    return queryset.filter(condition)


def products_low_stock(queryset: QuerySet[Product], low: bool = True) -> QuerySet[Product]:
    """Products low in at least one active warehouse (or, with ``low=False``, in none)."""
    is_low = Q(reorder_level__gt=0) & Exists(_low_level_of())
    return queryset.filter(is_low if low else ~is_low)


# -- stock levels -----------------------------------------------------------------------------
def stock_level_list() -> QuerySet[StockLevel]:
    return StockLevel.objects.select_related("product", "warehouse").defer(
        "product__search_vector", "product__description")


def stock_levels_low(queryset: QuerySet[StockLevel], low: bool = True) -> QuerySet[StockLevel]:
    is_low = Q(product__reorder_level__gt=0, quantity__lte=F("product__reorder_level"))
    return queryset.filter(is_low if low else ~is_low)


def stock_ledger_quantity(*, product_id: int, warehouse_id: int) -> Decimal:
    """The level as the movements say it should be: in minus out, recomputed from the ledger."""
    totals = StockMovement.objects.filter(product_id=product_id).aggregate(
        inbound=Sum("quantity", filter=Q(to_warehouse_id=warehouse_id), default=ZERO),
        outbound=Sum("quantity", filter=Q(from_warehouse_id=warehouse_id), default=ZERO))
    return totals["inbound"] - totals["outbound"]


@dataclass(frozen=True)
class Discrepancy:
    product_id: int
    warehouse_id: int
    level: Decimal
    ledger: Decimal


def stock_level_discrepancies(*, product_id: int | None = None) -> list[Discrepancy]:
    """Every (product, warehouse) whose stored level differs from its recomputed ledger sum;
    empty when the services did their job. For audits and tests."""
    movements = StockMovement.objects.all()
    if product_id is not None:
        movements = movements.filter(product_id=product_id)
    ledger: dict[tuple[int, int], Decimal] = {}
    for side, sign in (("to_warehouse_id", 1), ("from_warehouse_id", -1)):
        rows = (movements.exclude(**{f"{side}__isnull": True}).order_by()
                .values("product_id", side).annotate(total=Sum("quantity")))
        for row in rows:
            key = (row["product_id"], row[side])
            ledger[key] = ledger.get(key, ZERO) + sign * row["total"]
    levels = StockLevel.objects.all()
    if product_id is not None:
        levels = levels.filter(product_id=product_id)
    stored = {(lv.product_id, lv.warehouse_id): lv.quantity for lv in levels}
    return [Discrepancy(p, w, stored.get((p, w), ZERO), ledger.get((p, w), ZERO))
            for p, w in sorted(stored.keys() | ledger.keys())
            if stored.get((p, w), ZERO) != ledger.get((p, w), ZERO)]


# -- movements --------------------------------------------------------------------------------
def movement_list() -> QuerySet[StockMovement]:
    return StockMovement.objects.select_related(
        "product", "from_warehouse", "to_warehouse", "created_by"
    ).defer("product__search_vector", "product__description")


def movements_filter(queryset: QuerySet[StockMovement], *, product_id: int | None = None,
                     warehouse_id: int | None = None, kind: str | None = None,
                     since: dt.datetime | None = None,
                     until: dt.datetime | None = None) -> QuerySet[StockMovement]:
    """History by product, warehouse (in or out), kind, and ``since <= occurred_at < until``."""
    if product_id is not None:
        queryset = queryset.filter(product_id=product_id)
    if warehouse_id is not None:
        queryset = queryset.filter(Q(from_warehouse_id=warehouse_id)
                                   | Q(to_warehouse_id=warehouse_id))
    if kind:
        queryset = queryset.filter(kind=kind)
    if since is not None:
        queryset = queryset.filter(occurred_at__gte=since)
    if until is not None:
        queryset = queryset.filter(occurred_at__lt=until)
    return queryset


# -- valuation --------------------------------------------------------------------------------
@dataclass(frozen=True)
class WarehouseValue:
    id: int
    code: str
    name: str
    is_active: bool
    quantity: Decimal
    value: Decimal


@dataclass(frozen=True)
class Valuation:
    warehouses: list[WarehouseValue]
    total_quantity: Decimal
    total_value: Decimal


def stock_valuation() -> Valuation:
    """Stock value at the products' current unit cost: sum(level x cost), per warehouse (every
    warehouse, including empty ones) and in total."""
    line_value = ExpressionWrapper(F("stock_levels__quantity") * F("stock_levels__product__cost"),
                                   output_field=_MONEY)
    rows = (Warehouse.objects.order_by("code")
            .annotate(total_quantity=Coalesce(Sum("stock_levels__quantity"), Value(ZERO),
                                              output_field=_LEVEL),
                      total_value=Coalesce(Sum(line_value), Value(ZERO), output_field=_MONEY))
            .values("id", "code", "name", "is_active", "total_quantity", "total_value"))
    warehouses = [WarehouseValue(id=r["id"], code=r["code"], name=r["name"],
                                 is_active=r["is_active"], quantity=r["total_quantity"],
                                 value=r["total_value"].quantize(Decimal("0.01")))
                  for r in rows]
    return Valuation(warehouses=warehouses,
                     total_quantity=sum((w.quantity for w in warehouses), ZERO),
                     total_value=sum((w.value for w in warehouses), ZERO))


# -- alerts -----------------------------------------------------------------------------------
def low_stock_alert_list() -> QuerySet[LowStockAlert]:
    return LowStockAlert.objects.select_related(
        "product", "warehouse", "acknowledged_by"
    ).defer("product__search_vector", "product__description")


def low_stock_alerts_with_status(queryset: QuerySet[LowStockAlert],
                                 status: str) -> QuerySet[LowStockAlert]:
    if status == "open":
        return queryset.filter(resolved_at__isnull=True, acknowledged_at__isnull=True)
    if status == "acknowledged":
        return queryset.filter(resolved_at__isnull=True, acknowledged_at__isnull=False)
    if status == "unresolved":
        return queryset.filter(resolved_at__isnull=True)
    if status == "resolved":
        return queryset.filter(resolved_at__isnull=False)
    return queryset


# -- pages ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WarehouseStock:
    warehouse: Warehouse
    quantity: Decimal
    is_low: bool
    alert: LowStockAlert | None


def product_stock_by_warehouse(product: Product) -> list[WarehouseStock]:
    """The product's stock in every warehouse that holds or held it (and every active one), with
    whether it is low there and its unresolved alert: low stock is per warehouse, not a total."""
    levels = {lv.warehouse_id: lv.quantity
              for lv in StockLevel.objects.filter(product=product).only("warehouse_id",
                                                                         "quantity")}
    alerts = {a.warehouse_id: a for a in LowStockAlert.objects.filter(
        product=product, resolved_at__isnull=True)}
    rows = []
    for warehouse in Warehouse.objects.filter(Q(is_active=True) | Q(pk__in=levels.keys())):
        quantity = levels.get(warehouse.pk, ZERO)
        rows.append(WarehouseStock(
            warehouse=warehouse, quantity=quantity,
            is_low=bool(product.reorder_level > 0 and quantity <= product.reorder_level
                        and warehouse.is_active),
            alert=alerts.get(warehouse.pk)))
    return rows


def movements_per_day(*, days: int = 30, until: dt.date) -> list[tuple[dt.date, int]]:
    """How many movements were recorded on each of the ``days`` dates up to ``until`` (dates in
    the current time zone), zeros included."""
    from django.db.models.functions import TruncDate

    first = until - dt.timedelta(days=days - 1)
    counts = dict(StockMovement.objects.filter(occurred_at__date__gte=first,
                                               occurred_at__date__lte=until)
                  .annotate(day=TruncDate("occurred_at")).order_by()
                  .values("day").annotate(n=Count("id")).values_list("day", "n"))
    return [(first + dt.timedelta(days=i), counts.get(first + dt.timedelta(days=i), 0))
            for i in range(days)]


def inventory_figures() -> dict[str, int]:
    """The dashboard's counts: active products, products low somewhere, open alerts."""
    return {
        "products": Product.objects.filter(is_active=True).count(),
        "low": products_low_stock(Product.objects.filter(is_active=True)).count(),
        "open_alerts": low_stock_alerts_with_status(LowStockAlert.objects.all(), "open").count(),
    }
