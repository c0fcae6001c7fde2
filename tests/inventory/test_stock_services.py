"""Stock changes through the services: the ledger and the levels agree, refusals write nothing."""

from decimal import Decimal

import pytest

from tenant_apps.core.errors import Conflict, InvalidInput
from tenant_apps.inventory.models import StockLevel, StockMovement
from tenant_apps.inventory.selectors import stock_ledger_quantity, stock_level_discrepancies
from tenant_apps.inventory.services import (
    MovementInput,
    stock_movement_record,
    stock_movements_record,
)
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db


def level(product, warehouse) -> Decimal:
    row = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return row.quantity if row else Decimal("0")


@pytest.fixture
def acme(in_tenant):
    with in_tenant("acme"):
        yield


def test_receipt_issue_transfer_and_adjustments_move_stock_as_the_ledger_says(acme):
    item, main, north = f.ProductFactory(unit="kg"), f.WarehouseFactory(), f.WarehouseFactory()
    f.receive(item, main, "10.5")
    f.issue(item, main, "0.25")
    stock_movement_record(kind="transfer", product_id=item.pk, quantity=Decimal("4"),
                          from_warehouse_id=main.pk, to_warehouse_id=north.pk)
    stock_movement_record(kind="adjustment", product_id=item.pk, quantity=Decimal("1"),
                          from_warehouse_id=north.pk)  # e.g. damaged
    stock_movement_record(kind="adjustment", product_id=item.pk, quantity=Decimal("0.125"),
                          to_warehouse_id=main.pk)  # found in a count

    assert level(item, main) == Decimal("6.375")
    assert level(item, north) == Decimal("3")
    assert stock_ledger_quantity(product_id=item.pk, warehouse_id=main.pk) == Decimal("6.375")
    assert stock_level_discrepancies() == []


def test_issuing_more_than_in_stock_is_refused_and_writes_nothing(acme):
    item, main = f.ProductFactory(), f.WarehouseFactory(code="MAIN")
    f.receive(item, main, 3)
    with pytest.raises(Conflict) as excinfo:
        f.issue(item, main, 4)
    assert excinfo.value.code == "insufficient_stock"
    assert excinfo.value.status == 409
    assert "Only 3 pcs" in excinfo.value.fields["quantity"][0]
    assert level(item, main) == 3
    assert StockMovement.objects.filter(product=item).count() == 1


def test_issue_from_a_warehouse_that_never_had_the_product_is_refused(acme):
    item, empty = f.ProductFactory(), f.WarehouseFactory()
    with pytest.raises(Conflict):
        f.issue(item, empty, 1)
    assert not StockLevel.objects.filter(product=item).exists()


def test_transfer_of_more_than_available_leaves_both_warehouses_unchanged(acme):
    item, a, b = f.ProductFactory(), f.WarehouseFactory(), f.WarehouseFactory()
    f.receive(item, a, 2)
    with pytest.raises(Conflict):
        stock_movement_record(kind="transfer", product_id=item.pk, quantity=Decimal("3"),
                              from_warehouse_id=a.pk, to_warehouse_id=b.pk)
    assert (level(item, a), level(item, b)) == (2, 0)


@pytest.mark.parametrize(("kind", "source", "target", "field"), [
    ("receipt", None, None, "to_warehouse"),
    ("receipt", "a", "b", "from_warehouse"),
    ("issue", None, "a", "from_warehouse"),
    ("transfer", "a", None, "to_warehouse"),
    ("transfer", "a", "a", "to_warehouse"),
    ("adjustment", "a", "b", "from_warehouse"),
    ("adjustment", None, None, "to_warehouse"),
    ("shrinkage", None, "a", "kind"),
])
def test_warehouses_must_fit_the_kind_of_movement(acme, kind, source, target, field):
    item, a, b = f.ProductFactory(), f.WarehouseFactory(), f.WarehouseFactory()
    ids = {"a": a.pk, "b": b.pk, None: None}
    with pytest.raises(InvalidInput) as excinfo:
        stock_movement_record(kind=kind, product_id=item.pk, quantity=Decimal("1"),
                              from_warehouse_id=ids[source], to_warehouse_id=ids[target])
    assert field in excinfo.value.fields
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize(("quantity", "message"), [
    ("0", "greater than zero"),
    ("-1", "greater than zero"),
    ("1000000000", "at most"),
    ("1.0001", "decimal places"),
])
def test_quantities_are_positive_bounded_and_have_three_decimals(acme, quantity, message):
    item, main = f.ProductFactory(unit="kg"), f.WarehouseFactory()
    with pytest.raises(InvalidInput) as excinfo:
        f.receive(item, main, quantity)
    assert message in excinfo.value.fields["quantity"][0]


def test_countable_units_take_whole_quantities_only(acme):
    screws, flour = f.ProductFactory(unit="pcs"), f.ProductFactory(unit="kg")
    main = f.WarehouseFactory()
    with pytest.raises(InvalidInput) as excinfo:
        f.receive(screws, main, "2.5")
    assert "whole pcs" in excinfo.value.fields["quantity"][0]
    f.receive(flour, main, "2.5")
    assert level(flour, main) == Decimal("2.5")


def test_a_level_cannot_outgrow_its_column(acme):
    item, main = f.ProductFactory(unit="kg"), f.WarehouseFactory()
    StockLevel.objects.create(product=item, warehouse=main, quantity=Decimal("999999999999"))
    with pytest.raises(Conflict) as excinfo:
        f.receive(item, main, "999999999")
    assert excinfo.value.code == "stock_limit_exceeded"


def test_inactive_warehouse_can_be_emptied_but_not_filled(acme):
    item, old, new = f.ProductFactory(), f.WarehouseFactory(), f.WarehouseFactory()
    f.receive(item, old, 5)
    old.is_active = False
    old.save()
    with pytest.raises(InvalidInput) as excinfo:
        f.receive(item, old, 1)
    assert "inactive" in excinfo.value.fields["to_warehouse"][0]
    stock_movement_record(kind="transfer", product_id=item.pk, quantity=Decimal("5"),
                          from_warehouse_id=old.pk, to_warehouse_id=new.pk)
    assert (level(item, old), level(item, new)) == (0, 5)


def test_unknown_product_or_warehouse_is_a_field_error(acme):
    main = f.WarehouseFactory()
    with pytest.raises(InvalidInput) as excinfo:
        stock_movement_record(kind="receipt", product_id=999999, quantity=Decimal("1"),
                              to_warehouse_id=main.pk)
    assert excinfo.value.fields == {"product": ["No such product."]}


def test_a_batch_is_applied_in_order_all_or_nothing(acme):
    item, main = f.ProductFactory(), f.WarehouseFactory()
    ok = [MovementInput(kind="receipt", product_id=item.pk, quantity=Decimal("5"),
                        to_warehouse_id=main.pk),
          MovementInput(kind="issue", product_id=item.pk, quantity=Decimal("5"),
                        from_warehouse_id=main.pk)]
    # In order: receiving 5 then issuing 5 works; the reverse order would not.
    stock_movements_record(movements=ok)
    assert level(item, main) == 0

    bad = [*ok, MovementInput(kind="issue", product_id=item.pk, quantity=Decimal("1"),
                              from_warehouse_id=main.pk)]
    with pytest.raises(Conflict) as excinfo:
        stock_movements_record(movements=bad)
    assert list(excinfo.value.fields) == ["items.2.quantity"]
    assert StockMovement.objects.count() == 2
    assert level(item, main) == 0
