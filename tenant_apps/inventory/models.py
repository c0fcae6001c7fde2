"""Inventory of one tenant: catalog (categories, products), warehouses, stock levels and the
movements that change them. Every table lives in the tenant's schema and every foreign key stays
inside it (users and API keys are tenant apps too).

Stock is a ledger: ``StockMovement`` rows are never edited or deleted, and a ``StockLevel`` is a
cached sum of them, kept equal by the services in ``services.py`` (the only code that writes
either). A warehouse's level of a product is ``sum(quantity moved to it) - sum(quantity moved
from it)``, whatever the movement's kind.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Collate, Lower

# Quantities are decimals with three places: stock is kept in kg, litres and metres as well as in
# pieces. A movement moves at most MAX_QUANTITY; a level may hold up to MAX_LEVEL (three more
# digits, so that thousands of maximal receipts still fit; beyond it a receipt is refused rather
# than overflowing the column).
QUANTITY_DIGITS, QUANTITY_PLACES = 12, 3
LEVEL_DIGITS = 15
MAX_QUANTITY = Decimal("999999999.999")
MAX_LEVEL = Decimal("999999999999.999")
MONEY_DIGITS, MONEY_PLACES = 12, 2
MAX_MONEY = Decimal("9999999999.99")


class Unit(models.TextChoices):
    PIECE = "pcs", "Pieces"
    BOX = "box", "Boxes"
    PACK = "pack", "Packs"
    PAIR = "pair", "Pairs"
    KILOGRAM = "kg", "Kilograms"
    GRAM = "g", "Grams"
    LITRE = "l", "Litres"
    MILLILITRE = "ml", "Millilitres"
    METRE = "m", "Metres"
    SQUARE_METRE = "m2", "Square metres"


# Units counted in whole numbers: 2.5 pieces is a typing mistake, not a quantity.
COUNTABLE_UNITS = frozenset({Unit.PIECE, Unit.BOX, Unit.PACK, Unit.PAIR})


class Category(models.Model):
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="inventory_category_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


# The SKU as compared: case-insensitive; see Product.Meta.
SKU_KEY = Collate(Lower("sku"), "C")


class Product(models.Model):
    # Unique regardless of case: "ab-1" and "AB-1" on two labels would be one article to people.
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.PIECE)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="products")
    barcode = models.CharField(max_length=64, blank=True, default="")
    price = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES,
                                default=Decimal("0"))
    # Unit cost; stock valuation is level x current cost (standard costing).
    cost = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES,
                               default=Decimal("0"))
    # Per warehouse: a product is low at a warehouse when its level there is at or below this.
    # Zero means "not tracked".
    reorder_level = models.DecimalField(max_digits=QUANTITY_DIGITS,
                                        decimal_places=QUANTITY_PLACES, default=Decimal("0"))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Words of the name and SKU for search (see selectors.product_list), kept by PostgreSQL.
    # The "simple" configuration: no stemming or stop words, which suit product names and codes
    # in any language.
    search_vector = models.GeneratedField(
        expression=SearchVector("name", "sku", config="simple"),
        output_field=SearchVectorField(), db_persist=True)

    class Meta:
        ordering = ["sku", "id"]
        constraints = [
            # Lower-cased and in the "C" collation: the one index enforces uniqueness and serves
            # SKU prefix search (LIKE 'ab%' needs byte order), whatever the database's collation.
            models.UniqueConstraint(SKU_KEY, name="inventory_product_sku_ci_unique"),
            models.UniqueConstraint(fields=["barcode"], condition=~Q(barcode=""),
                                    name="inventory_product_barcode_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="inventory_product_price_gte_0"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="inventory_product_cost_gte_0"),
            models.CheckConstraint(condition=Q(reorder_level__gte=0),
                                   name="inventory_product_reorder_gte_0"),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="inventory_product_search"),
            # The default order of the list (the unique index is on lower(sku)).
            models.Index(fields=["sku"], name="inventory_product_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def is_countable(self) -> bool:
        return self.unit in COUNTABLE_UNITS


class Warehouse(models.Model):
    # Short, upper-case (normalised on input), unique: used in CSV files and on labels.
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    address = models.TextField(blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "id"]

    def __str__(self) -> str:
        return self.code


class StockLevel(models.Model):
    """Quantity of a product in a warehouse; the sum of its movements, never negative."""

    # Both served by the composite indexes below.
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_levels",
                                db_index=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE,
                                  related_name="stock_levels", db_index=False)
    quantity = models.DecimalField(max_digits=LEVEL_DIGITS, decimal_places=QUANTITY_PLACES,
                                   default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"],
                                    name="inventory_stocklevel_product_warehouse_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0),
                                   name="inventory_stocklevel_quantity_gte_0"),
        ]
        indexes = [models.Index(fields=["warehouse", "product"],
                                name="inventory_stocklevel_wh_prod")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.quantity}"


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"  # into to_warehouse
    ISSUE = "issue", "Issue"  # out of from_warehouse
    TRANSFER = "transfer", "Transfer"  # from_warehouse -> to_warehouse
    # A correction (count, damage, found stock): exactly one of from_warehouse (down) or
    # to_warehouse (up). The quantity stays positive; the side says the direction.
    ADJUSTMENT = "adjustment", "Adjustment"


class StockMovement(models.Model):
    """One change of stock. Immutable: a mistake is corrected by another movement."""

    kind = models.CharField(max_length=12, choices=MovementKind.choices)
    # The three foreign keys are served by the (key, -occurred_at) indexes below.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements",
                                db_index=False)
    quantity = models.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)
    from_warehouse = models.ForeignKey(Warehouse, null=True, blank=True, db_index=False,
                                       on_delete=models.PROTECT, related_name="movements_out")
    to_warehouse = models.ForeignKey(Warehouse, null=True, blank=True, db_index=False,
                                     on_delete=models.PROTECT, related_name="movements_in")
    reference = models.CharField(max_length=100, blank=True, default="")
    note = models.TextField(blank=True, default="")
    # Who recorded it. Users are normally deactivated, not deleted; if one is deleted the
    # movement stays (the ledger must not lose rows).
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="stock_movements")
    # The prefix of the API key it came through, if any (a string: it survives the key).
    api_key_prefix = models.CharField(max_length=16, blank=True, default="")
    # When it happened (may be set by the client, e.g. a delivery entered the next morning);
    # created_at is when it was recorded.
    occurred_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="inventory_movement_quantity_gt_0"),
            models.CheckConstraint(
                name="inventory_movement_warehouses_match_kind",
                condition=(
                    Q(kind=MovementKind.RECEIPT, from_warehouse__isnull=True,
                      to_warehouse__isnull=False)
                    | Q(kind=MovementKind.ISSUE, from_warehouse__isnull=False,
                        to_warehouse__isnull=True)
                    | (Q(kind=MovementKind.TRANSFER, from_warehouse__isnull=False,
                         to_warehouse__isnull=False)
                       & ~Q(from_warehouse=models.F("to_warehouse")))
                    | (Q(kind=MovementKind.ADJUSTMENT)
                       & (Q(from_warehouse__isnull=True, to_warehouse__isnull=False)
                          | Q(from_warehouse__isnull=False, to_warehouse__isnull=True)))
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["product", "-occurred_at"], name="inventory_mv_product_time"),
            models.Index(fields=["from_warehouse", "-occurred_at"],
                         name="inventory_mv_from_time"),
            models.Index(fields=["to_warehouse", "-occurred_at"], name="inventory_mv_to_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} of {self.product_id}"


class LowStockAlert(models.Model):
    """Raised by the daily check when a level is at or below the product's reorder level.

    At most one unresolved alert per product and warehouse: acknowledging one silences it until
    the level recovers (the check then resolves it); a later drop raises a new one."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="low_stock_alerts")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE,
                                  related_name="low_stock_alerts")
    quantity = models.DecimalField(max_digits=LEVEL_DIGITS, decimal_places=QUANTITY_PLACES)
    reorder_level = models.DecimalField(max_digits=QUANTITY_DIGITS,
                                        decimal_places=QUANTITY_PLACES)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL,
                                        related_name="acknowledged_low_stock_alerts")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"],
                                    condition=Q(resolved_at__isnull=True),
                                    name="inventory_lowstockalert_one_open"),
        ]

    def __str__(self) -> str:
        return f"low stock {self.product_id}@{self.warehouse_id}"

    @property
    def status(self) -> str:
        if self.resolved_at is not None:
            return "resolved"
        if self.acknowledged_at is not None:
            return "acknowledged"
        return "open"
