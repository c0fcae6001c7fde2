"""The demo data of ``manage.py seed_demo``."""

import pytest

from tenant_apps.inventory import demo
from tenant_apps.inventory.models import (
    Category,
    LowStockAlert,
    Product,
    StockMovement,
    Warehouse,
)
from tenant_apps.inventory.selectors import stock_level_discrepancies

pytestmark = pytest.mark.django_db


def test_seed_builds_a_consistent_catalog_once(in_tenant):
    with in_tenant("initech"):
        demo.seed()
        counts = (Category.objects.count(), Product.objects.count(),
                  Warehouse.objects.count(), StockMovement.objects.count())
        assert counts[0] == len(demo.CATALOG) and counts[2] == 3
        assert counts[1] >= 200 and counts[3] >= 300
        assert set(StockMovement.objects.values_list("kind", flat=True)) == {
            "receipt", "issue", "transfer", "adjustment"}
        assert stock_level_discrepancies() == []
        assert LowStockAlert.objects.exists()

        demo.seed()  # idempotent
        assert (Category.objects.count(), Product.objects.count(),
                Warehouse.objects.count(), StockMovement.objects.count()) == counts
