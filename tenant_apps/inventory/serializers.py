"""Input validation and output shapes of the inventory API. Write serializers refuse fields they
do not know (a typo such as ``"quantty"`` must not be silently dropped); read-only fields sent
back, as a client that PUTs what it got does, are ignored."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal

from rest_framework import serializers

from tenant_apps.core.api.serializers import StrictFieldsMixin, refuse_taken
from tenant_apps.inventory.models import (
    LEVEL_DIGITS,
    MAX_QUANTITY,
    MONEY_DIGITS,
    MONEY_PLACES,
    QUANTITY_DIGITS,
    QUANTITY_PLACES,
    SKU_KEY,
    Category,
    LowStockAlert,
    MovementKind,
    Product,
    StockLevel,
    StockMovement,
    Unit,
    Warehouse,
)
from tenant_apps.inventory.services import MAX_BULK_MOVEMENTS, MovementInput

MAX_ID = 2**63 - 1
WAREHOUSE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES,
                                    min_value=Decimal("0"), **kwargs)


def _quantity(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES,
                                    **kwargs)


def _object_id(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# -- catalog ----------------------------------------------------------------------------------
class CategorySerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A product category; names are unique regardless of case."""

    product_count = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["id", "name", "description", "product_count", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_product_count(self, category: Category) -> int:
        return getattr(category, "product_count", 0)

    def validate_name(self, value: str) -> str:
        refuse_taken(self, Category.objects.filter(name__iexact=value),
                     "A category with this name exists.")
        return value


# The product list is the API's hottest read: its rows are built from ``values()`` by
# ``product_row`` (a tenth of the cost of DRF's field-by-field rendering), and the serializer
# renders a single product through the same function, so list and detail cannot drift apart.
PRODUCT_ROW_FIELDS = ("id", "sku", "name", "description", "unit", "category_id",
                      "category__name", "barcode", "price", "cost", "reorder_level",
                      "is_active", "on_hand", "created_at", "updated_at")


def _timestamp(value: dt.datetime) -> str:
    # As DRF's DateTimeField renders it (UTC, "Z").
    text = value.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def product_row(values: Mapping) -> dict:
    return {
        "id": values["id"], "sku": values["sku"], "name": values["name"],
        "description": values["description"], "unit": values["unit"],
        "category": values["category_id"], "category_name": values["category__name"],
        "barcode": values["barcode"], "price": f"{values['price']:.{MONEY_PLACES}f}",
        "cost": f"{values['cost']:.{MONEY_PLACES}f}",
        "reorder_level": f"{values['reorder_level']:.{QUANTITY_PLACES}f}",
        "is_active": values["is_active"],
        "on_hand": f"{values['on_hand'] or 0:.{QUANTITY_PLACES}f}",
        "created_at": _timestamp(values["created_at"]),
        "updated_at": _timestamp(values["updated_at"]),
    }


class ProductSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A product; the SKU is unique regardless of case, a barcode unique when given."""

    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(),
                                                  allow_null=True, required=False)
    category_name = serializers.CharField(source="category.name", read_only=True,
                                          default=None, allow_null=True)
    unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.PIECE)
    price = _money(required=False)
    cost = _money(required=False)
    reorder_level = _quantity(min_value=Decimal("0"), max_value=MAX_QUANTITY, required=False)
    on_hand = serializers.DecimalField(max_digits=LEVEL_DIGITS, decimal_places=QUANTITY_PLACES,
                                       read_only=True, help_text="In all warehouses.")

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "description", "unit", "category", "category_name",
                  "barcode", "price", "cost", "reorder_level", "is_active", "on_hand",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def to_representation(self, product: Product) -> dict:
        values = {name: getattr(product, name, None) for name in PRODUCT_ROW_FIELDS
                  if "__" not in name}
        values["category__name"] = product.category.name if product.category_id else None
        return product_row(values)

    def validate_sku(self, value: str) -> str:
        if any(ch.isspace() for ch in value):
            raise serializers.ValidationError("A SKU has no spaces.")
        refuse_taken(self, Product.objects.alias(key=SKU_KEY).filter(key=value.lower()),
                     "A product with this SKU exists.")
        return value

    def validate_barcode(self, value: str) -> str:
        if value:
            refuse_taken(self, Product.objects.filter(barcode=value),
                         "A product with this barcode exists.")
        return value


class WarehouseSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A warehouse; the code is unique and stored upper-case."""

    # Declared (not derived) so that uniqueness is checked after the code is upper-cased.
    code = serializers.CharField(max_length=20,
                                 help_text="Letters, digits, - and _; stored upper-case.")

    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "address", "is_active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_code(self, value: str) -> str:
        code = value.upper()
        if not WAREHOUSE_CODE.match(code):
            raise serializers.ValidationError("Use letters, digits, - and _ only.")
        refuse_taken(self, Warehouse.objects.filter(code=code),
                     "A warehouse with this code exists.")
        return code


# -- stock ------------------------------------------------------------------------------------
class StockLevelSerializer(serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit = serializers.CharField(source="product.unit", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    reorder_level = serializers.DecimalField(source="product.reorder_level", read_only=True,
                                             max_digits=QUANTITY_DIGITS,
                                             decimal_places=QUANTITY_PLACES)
    is_low = serializers.SerializerMethodField()

    class Meta:
        model = StockLevel
        fields = ["id", "product", "product_sku", "product_name", "unit", "warehouse",
                  "warehouse_code", "quantity", "reorder_level", "is_low", "updated_at"]
        read_only_fields = fields

    def get_is_low(self, level: StockLevel) -> bool:
        reorder = level.product.reorder_level
        return bool(reorder > 0 and level.quantity <= reorder)


class MovementSerializer(serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit = serializers.CharField(source="product.unit", read_only=True)
    from_warehouse_code = serializers.CharField(source="from_warehouse.code", read_only=True,
                                                default=None, allow_null=True)
    to_warehouse_code = serializers.CharField(source="to_warehouse.code", read_only=True,
                                              default=None, allow_null=True)
    created_by = serializers.EmailField(source="created_by.email", read_only=True, default=None,
                                        allow_null=True)

    class Meta:
        model = StockMovement
        fields = ["id", "kind", "product", "product_sku", "product_name", "unit", "quantity",
                  "from_warehouse", "from_warehouse_code", "to_warehouse", "to_warehouse_code",
                  "reference", "note", "occurred_at", "created_at", "created_by",
                  "api_key_prefix"]
        read_only_fields = fields

    def to_representation(self, movement: StockMovement) -> dict:
        # Written out (bulk responses render up to 1000 of these); the declared fields above
        # still describe it for the schema.
        product, source, target = movement.product, movement.from_warehouse, \
            movement.to_warehouse
        return {
            "id": movement.pk, "kind": movement.kind, "product": movement.product_id,
            "product_sku": product.sku, "product_name": product.name, "unit": product.unit,
            "quantity": f"{movement.quantity:.{QUANTITY_PLACES}f}",
            "from_warehouse": movement.from_warehouse_id,
            "from_warehouse_code": source.code if source else None,
            "to_warehouse": movement.to_warehouse_id,
            "to_warehouse_code": target.code if target else None,
            "reference": movement.reference, "note": movement.note,
            "occurred_at": _timestamp(movement.occurred_at),
            "created_at": _timestamp(movement.created_at),
            "created_by": movement.created_by.email if movement.created_by_id else None,
            "api_key_prefix": movement.api_key_prefix,
        }


class MovementInputSerializer(StrictFieldsMixin, serializers.Serializer):
    """One movement to record. Ids are checked by the service (in one query for a batch)."""

    kind = serializers.ChoiceField(choices=MovementKind.choices)
    product = _object_id()
    quantity = _quantity(min_value=Decimal("0.001"), max_value=MAX_QUANTITY)
    from_warehouse = _object_id(required=False, allow_null=True, default=None)
    to_warehouse = _object_id(required=False, allow_null=True, default=None)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                      default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                            help_text="When it happened; default: now.")

    def to_movement(self, data: dict | None = None) -> MovementInput:
        data = self.validated_data if data is None else data
        return MovementInput(kind=data["kind"], product_id=data["product"],
                             quantity=data["quantity"],
                             from_warehouse_id=data["from_warehouse"],
                             to_warehouse_id=data["to_warehouse"], reference=data["reference"],
                             note=data["note"], occurred_at=data["occurred_at"])


class BulkMovementSerializer(StrictFieldsMixin, serializers.Serializer):
    """Movements applied in order in one transaction, all or none."""

    items = MovementInputSerializer(many=True, allow_empty=False)

    def to_internal_value(self, data):
        # List-level problems reported on "items" itself (DRF would nest them under
        # "items.non_field_errors"), and an oversized batch refused before any item is read.
        items = data.get("items") if isinstance(data, Mapping) else None
        problem = None
        if isinstance(data, Mapping) and "items" in data:
            if not isinstance(items, list):
                problem = "A list of movements is required."
            elif not items:
                problem = "At least one movement is required."
            elif len(items) > MAX_BULK_MOVEMENTS:
                problem = f"At most {MAX_BULK_MOVEMENTS} movements per request."
        if problem:
            raise serializers.ValidationError({"items": [problem]})
        return super().to_internal_value(data)

    def to_movements(self) -> list[MovementInput]:
        child = MovementInputSerializer()
        return [child.to_movement(item) for item in self.validated_data["items"]]


# -- alerts, valuation, jobs ------------------------------------------------------------------
class LowStockAlertSerializer(serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    status = serializers.CharField(read_only=True)
    acknowledged_by = serializers.EmailField(source="acknowledged_by.email", read_only=True,
                                             default=None, allow_null=True)

    class Meta:
        model = LowStockAlert
        fields = ["id", "status", "product", "product_sku", "product_name", "warehouse",
                  "warehouse_code", "quantity", "reorder_level", "created_at",
                  "acknowledged_at", "acknowledged_by", "resolved_at"]
        read_only_fields = fields


class WarehouseValueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    is_active = serializers.BooleanField()
    quantity = serializers.DecimalField(max_digits=30, decimal_places=QUANTITY_PLACES)
    value = serializers.DecimalField(max_digits=30, decimal_places=2)


class ValuationSerializer(serializers.Serializer):
    warehouses = WarehouseValueSerializer(many=True)
    total_quantity = serializers.DecimalField(max_digits=30, decimal_places=QUANTITY_PLACES)
    total_value = serializers.DecimalField(max_digits=30, decimal_places=2)


class ExportRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    """What to export."""

    kind = serializers.ChoiceField(choices=["products", "stock"])


class ImportRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    """The multipart form of an import; a text/csv body passes ``kind`` in the query string."""

    kind = serializers.ChoiceField(choices=["products", "stock"])
    file = serializers.FileField(required=False)
