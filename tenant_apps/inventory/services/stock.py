"""Stock movements: the only place stock changes.

 ``stock_movements_record`` writes the movements and updates the levels
in one transaction, and is safe under concurrent writers: the level rows it touches are locked in
one statement, in a fixed order (product id, warehouse id), so two transactions can wait for each
other but never deadlock (a transfer A->B and one B->A lock the same two rows in the same order),
and an issue sees the quantity left by the transaction before it, never a stale one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from tenant_apps.core.errors import Conflict, InvalidInput
from tenant_apps.core.events import events_emit
from tenant_apps.inventory.events import movement_event
from tenant_apps.inventory.models import (
    MAX_LEVEL,
    MAX_QUANTITY,
    QUANTITY_PLACES,
    MovementKind,
    Product,
    StockLevel,
    StockMovement,
    Warehouse,
)

# A movement may be dated a little ahead (clocks of handheld scanners drift), not more.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_BULK_MOVEMENTS = 1000

Errors = dict[str, list[str]]


@dataclass(frozen=True)
class MovementInput:
    """One movement to record; ids, so that a batch is resolved in two queries."""

    kind: str
    product_id: int
    quantity: Decimal
    from_warehouse_id: int | None = None
    to_warehouse_id: int | None = None
    reference: str = ""
    note: str = ""
    occurred_at: dt.datetime | None = None


@dataclass
class _Ledger:
    """The locked level rows of one transaction, keyed by (product id, warehouse id)."""

    levels: dict[tuple[int, int], StockLevel]
    changed: set[tuple[int, int]] = field(default_factory=set)


def _fmt(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"


def _shape_errors(item: MovementInput) -> Errors:
    """What is wrong with one movement on its own (no database needed)."""
    errors: Errors = {}
    kind, source, target = item.kind, item.from_warehouse_id, item.to_warehouse_id
    if kind not in MovementKind.values:
        errors["kind"] = [f"Must be one of: {', '.join(MovementKind.values)}."]
    elif kind == MovementKind.RECEIPT:
        if target is None:
            errors["to_warehouse"] = ["A receipt needs the warehouse it goes into."]
        if source is not None:
            errors["from_warehouse"] = ["A receipt comes from outside; leave this empty."]
    elif kind == MovementKind.ISSUE:
        if source is None:
            errors["from_warehouse"] = ["An issue needs the warehouse it leaves."]
        if target is not None:
            errors["to_warehouse"] = ["An issue leaves the inventory; leave this empty."]
    elif kind == MovementKind.TRANSFER:
        if source is None:
            errors["from_warehouse"] = ["A transfer needs the warehouse it leaves."]
        if target is None:
            errors["to_warehouse"] = ["A transfer needs the warehouse it goes into."]
        if source is not None and source == target:
            errors["to_warehouse"] = ["A transfer must go to another warehouse."]
    elif (source is None) == (target is None):
        message = ("An adjustment has exactly one warehouse: to_warehouse to add stock, "
                   "from_warehouse to remove it.")
        errors["to_warehouse" if source is None else "from_warehouse"] = [message]

    quantity = item.quantity
    if not isinstance(quantity, Decimal) or not quantity.is_finite():
        errors["quantity"] = ["A number is required."]
    elif quantity <= 0:
        errors["quantity"] = ["Must be greater than zero."]
    elif quantity > MAX_QUANTITY:
        errors["quantity"] = [f"Must be at most {_fmt(MAX_QUANTITY)}."]
    elif quantity != quantity.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        errors["quantity"] = [f"At most {QUANTITY_PLACES} decimal places."]

    if item.occurred_at is not None and item.occurred_at > timezone.now() + FUTURE_TOLERANCE:
        errors["occurred_at"] = ["Cannot be in the future."]
    return errors


def _reference_errors(item: MovementInput, products: dict[int, Product],
                      warehouses: dict[int, Warehouse]) -> Errors:
    errors: Errors = {}
    product = products.get(item.product_id)
    if product is None:
        errors["product"] = ["No such product."]
    else:
        if not product.is_active and item.kind == MovementKind.RECEIPT:
            errors["product"] = ["This product is inactive; it cannot be received."]
        if product.is_countable and item.quantity != item.quantity.to_integral_value():
            errors["quantity"] = [f"{product.sku} is counted in whole {product.unit}."]
    for name, warehouse_id in (("from_warehouse", item.from_warehouse_id),
                               ("to_warehouse", item.to_warehouse_id)):
        if warehouse_id is None:
            continue
        warehouse = warehouses.get(warehouse_id)
        if warehouse is None:
            errors[name] = ["No such warehouse."]
        elif name == "to_warehouse" and not warehouse.is_active:
            # An inactive warehouse is being wound down: stock may leave it, not enter it.
            errors[name] = [f"Warehouse {warehouse.code} is inactive; stock cannot go into it."]
    return errors


def _lock_levels(keys: Iterable[tuple[int, int]]) -> _Ledger:
    """Create the missing level rows and lock all of them, in one statement and in key order.

    INSERT ... ON CONFLICT DO UPDATE takes the row lock of each row it inserts or finds, in the
    order its SELECT produces them; a no-op update of ``updated_at`` is enough to take it. The
    quantities it returns were read after each lock was granted, so they include every
    transaction that committed before; nobody else can change them until we commit."""
    ordered = sorted(set(keys))
    if not ordered:
        return _Ledger(levels={})
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (product_id, warehouse_id, quantity, updated_at) "  # noqa: S608
            "SELECT key.product_id, key.warehouse_id, 0, %s "
            "FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY "
            "AS key(product_id, warehouse_id, position) ORDER BY key.position "
            "ON CONFLICT (product_id, warehouse_id) DO UPDATE SET updated_at = EXCLUDED.updated_at "
            "RETURNING id, product_id, warehouse_id, quantity",
            [timezone.now(), [p for p, _ in ordered], [w for _, w in ordered]])
        rows = cursor.fetchall()
    return _Ledger(levels={
        (product_id, warehouse_id): StockLevel(id=pk, product_id=product_id,
                                               warehouse_id=warehouse_id, quantity=quantity)
        for pk, product_id, warehouse_id, quantity in rows})


def _write_levels(levels: list[StockLevel], now: dt.datetime) -> None:
    """Store the new quantities of locked levels in one statement. (bulk_update writes a CASE
    with a branch per row, which costs more than the rest of a 500-item batch together.)"""
    if not levels:
        return
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS level SET quantity = new.quantity, updated_at = %s "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::numeric[]) AS new(id, quantity) "
            "WHERE level.id = new.id",
            [now, [lv.pk for lv in levels], [lv.quantity for lv in levels]])
    for level in levels:
        level.updated_at = now


def _prefixed(errors: Errors, prefix: str) -> Errors:
    return {f"{prefix}{name}": messages for name, messages in errors.items()}


def stock_movements_record(*, movements: Sequence[MovementInput], created_by=None,
                           api_key_prefix: str = "", batch: bool = True,
                           limit: int | None = MAX_BULK_MOVEMENTS) -> list[StockMovement]:
    """Record ``movements`` in order, all or none, and update the levels they change.

    Errors name the field as ``items.<index>.<field>`` (``batch``) or just ``<field>``. At
    most ``limit`` movements (None: any number, for imports). Bad
    input raises InvalidInput (400); an issue of more than is in stock raises
    Conflict("insufficient_stock") (409) and writes nothing."""
    if batch and not movements:
        raise InvalidInput(fields={"items": ["At least one movement is required."]})
    if limit is not None and len(movements) > limit:
        raise InvalidInput(fields={"items": [f"At most {limit} movements."]})

    def prefix(index: int) -> str:
        return f"items.{index}." if batch else ""

    errors: Errors = {}
    for index, item in enumerate(movements):
        errors |= _prefixed(_shape_errors(item), prefix(index))
    if errors:
        raise InvalidInput(fields=errors)

    # What the checks and the response need; not the search vector or the description.
    products = Product.objects.only("sku", "name", "unit", "is_active").in_bulk(
        {m.product_id for m in movements})
    warehouses = Warehouse.objects.in_bulk(
        {w for m in movements for w in (m.from_warehouse_id, m.to_warehouse_id) if w})
    for index, item in enumerate(movements):
        errors |= _prefixed(_reference_errors(item, products, warehouses), prefix(index))
    if errors:
        raise InvalidInput(fields=errors)

    now = timezone.now()
    with transaction.atomic():
        ledger = _lock_levels((m.product_id, w) for m in movements
                              for w in (m.from_warehouse_id, m.to_warehouse_id) if w)
        conflicts: Errors = {}
        codes: set[str] = set()
        for index, item in enumerate(movements):
            product = products[item.product_id]
            if item.from_warehouse_id:
                level = ledger.levels[(item.product_id, item.from_warehouse_id)]
                if level.quantity < item.quantity:
                    codes.add("insufficient_stock")
                    warehouse = warehouses[item.from_warehouse_id]
                    conflicts[f"{prefix(index)}quantity"] = [
                        f"Only {_fmt(level.quantity)} {product.unit} of {product.sku} in "
                        f"{warehouse.code}; cannot take {_fmt(item.quantity)}."]
                    continue
                level.quantity -= item.quantity
                ledger.changed.add((item.product_id, item.from_warehouse_id))
            if item.to_warehouse_id:
                level = ledger.levels[(item.product_id, item.to_warehouse_id)]
                if level.quantity + item.quantity > MAX_LEVEL:
                    codes.add("stock_limit_exceeded")
                    conflicts[f"{prefix(index)}quantity"] = [
                        f"{warehouses[item.to_warehouse_id].code} would hold more than "
                        f"{_fmt(MAX_LEVEL)} {product.unit} of {product.sku}."]
                    continue
                level.quantity += item.quantity
                ledger.changed.add((item.product_id, item.to_warehouse_id))
        if conflicts:
            first = next(iter(conflicts.values()))[0]
            message = first if len(conflicts) == 1 else (
                f"{len(conflicts)} movements cannot be applied; nothing was recorded.")
            code = "insufficient_stock" if "insufficient_stock" in codes else codes.pop()
            raise Conflict(message, code=code, fields=conflicts)

        _write_levels([ledger.levels[key] for key in sorted(ledger.changed)], now)
        created = StockMovement.objects.bulk_create([
            StockMovement(kind=m.kind, product_id=m.product_id, quantity=m.quantity,
                          from_warehouse_id=m.from_warehouse_id,
                          to_warehouse_id=m.to_warehouse_id, reference=m.reference,
                          note=m.note, occurred_at=m.occurred_at or now, created_by=created_by,
                          api_key_prefix=api_key_prefix)
            for m in movements])
        events_emit("stock.movement.recorded",
                    [movement_event(m, products, warehouses) for m in created])
    # Hand back fully loaded rows (for the response) without querying them again.
    for movement in created:
        movement.product = products[movement.product_id]
        movement.from_warehouse = warehouses.get(movement.from_warehouse_id)
        movement.to_warehouse = warehouses.get(movement.to_warehouse_id)
    return created


def stock_movement_record(*, kind: str, product_id: int, quantity: Decimal,
                          from_warehouse_id: int | None = None,
                          to_warehouse_id: int | None = None, reference: str = "",
                          note: str = "", occurred_at: dt.datetime | None = None,
                          created_by=None, api_key_prefix: str = "") -> StockMovement:
    """Record one movement (see ``stock_movements_record``); errors name plain fields."""
    item = MovementInput(kind=kind, product_id=product_id, quantity=quantity,
                         from_warehouse_id=from_warehouse_id, to_warehouse_id=to_warehouse_id,
                         reference=reference, note=note, occurred_at=occurred_at)
    return stock_movements_record(movements=[item], created_by=created_by,
                                  api_key_prefix=api_key_prefix, batch=False)[0]


@dataclass(frozen=True)
class StockCount:
    product_id: int
    warehouse_id: int
    quantity: Decimal


def stock_counts_record(*, counts: Sequence[StockCount], reference: str = "", note: str = "",
                        created_by=None) -> dict[str, int]:
    """Make each counted level what was counted, through an adjustment of the difference (none
    where it already is), all or none. The levels are locked before the differences are taken,
    so a movement recorded meanwhile is not lost. Errors name the count: ``items.<index>.*``."""
    with transaction.atomic():
        ledger = _lock_levels((c.product_id, c.warehouse_id) for c in counts)
        movements: list[MovementInput] = []
        count_of: list[int] = []  # movement index -> count index
        for index, count in enumerate(counts):
            level = ledger.levels[(count.product_id, count.warehouse_id)]
            difference = count.quantity - level.quantity
            if not difference:
                continue
            count_of.append(index)
            movements.append(MovementInput(
                kind=MovementKind.ADJUSTMENT, product_id=count.product_id,
                quantity=abs(difference), reference=reference, note=note,
                to_warehouse_id=count.warehouse_id if difference > 0 else None,
                from_warehouse_id=count.warehouse_id if difference < 0 else None))
        if movements:
            try:
                stock_movements_record(movements=movements, created_by=created_by, limit=None)
            except (InvalidInput, Conflict) as exc:
                exc.fields = {_renumbered(name, count_of): messages
                              for name, messages in exc.fields.items()}
                raise
    return {"adjusted": len(movements), "unchanged": len(counts) - len(movements)}


def _renumbered(name: str, count_of: list[int]) -> str:
    prefix, index, rest = name.split(".", 2)
    return f"{prefix}.{count_of[int(index)]}.{rest}"


