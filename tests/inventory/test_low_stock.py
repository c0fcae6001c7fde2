"""The low-stock check: one unresolved alert per product and warehouse, acknowledged by people,
resolved by the check when the level recovers."""

import pytest

from tenant_apps.inventory.models import LowStockAlert
from tenant_apps.inventory.services import low_stock_check
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(in_tenant):
    with in_tenant("acme"):
        yield


def test_the_check_raises_alerts_for_tracked_low_levels_only(acme):
    main, closed = f.WarehouseFactory(code="MAIN"), f.WarehouseFactory(code="OLD", is_active=True)
    low = f.ProductFactory(sku="LOW", reorder_level=10)
    at_level = f.ProductFactory(sku="EXACT", reorder_level=10)
    plenty = f.ProductFactory(sku="PLENTY", reorder_level=10)
    untracked = f.ProductFactory(sku="UNTRACKED", reorder_level=0)
    retired = f.ProductFactory(sku="RETIRED", reorder_level=10)
    for item, quantity in ((low, 3), (at_level, 10), (plenty, 11), (untracked, 1), (retired, 1)):
        f.receive(item, main, quantity)
    f.receive(low, closed, 1)
    retired.is_active = False
    retired.save()
    closed.is_active = False
    closed.save()

    assert low_stock_check() == {"raised": 2, "resolved": 0}
    alerts = LowStockAlert.objects.order_by("product__sku")
    assert [(a.product.sku, a.warehouse.code, a.quantity, a.status) for a in alerts] == [
        ("EXACT", "MAIN", 10, "open"), ("LOW", "MAIN", 3, "open")]


def test_running_the_check_again_raises_nothing_new(acme):
    item, main = f.ProductFactory(reorder_level=5), f.WarehouseFactory()
    f.receive(item, main, 1)
    low_stock_check()
    assert low_stock_check() == {"raised": 0, "resolved": 0}
    assert LowStockAlert.objects.count() == 1


def test_an_alert_lives_until_the_level_recovers_then_a_new_drop_raises_a_new_one(acme):
    item, main = f.ProductFactory(reorder_level=5), f.WarehouseFactory()
    f.receive(item, main, 1)
    low_stock_check()
    f.receive(item, main, 10)
    assert low_stock_check() == {"raised": 0, "resolved": 1}
    assert LowStockAlert.objects.get().status == "resolved"
    f.issue(item, main, 9)
    assert low_stock_check() == {"raised": 1, "resolved": 0}
    assert sorted(a.status for a in LowStockAlert.objects.all()) == ["open", "resolved"]


def test_acknowledging_silences_an_alert_without_resolving_it(client_for, in_tenant):
    member = client_for("acme", role="member")
    with in_tenant("acme"):
        item, main = f.ProductFactory(reorder_level=5), f.WarehouseFactory()
        f.receive(item, main, 1)
        low_stock_check()
        alert = LowStockAlert.objects.get()
    url = f"/api/v1/inventory/low-stock-alerts/{alert.pk}/acknowledge"
    first = member.post(url)
    assert first.status_code == 200
    assert first.json()["status"] == "acknowledged"
    assert first.json()["acknowledged_by"] == member.user.email
    # A second acknowledgement (by anyone) keeps the first one's time and person.
    second = client_for("acme", role="admin").post(url)
    assert second.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    assert second.json()["acknowledged_by"] == member.user.email
    with in_tenant("acme"):
        assert low_stock_check() == {"raised": 0, "resolved": 0}

    listed = member.get("/api/v1/inventory/low-stock-alerts", {"status": "acknowledged"}).json()
    assert [a["id"] for a in listed["results"]] == [alert.pk]
    assert member.get("/api/v1/inventory/low-stock-alerts",
                      {"status": "open"}).json()["results"] == []
