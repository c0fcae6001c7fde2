"""No N+1: a page of many rows costs the same number of queries as a page of one."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenant_apps.inventory.models import LowStockAlert
from tenant_apps.inventory.services import low_stock_check
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db

LISTS = [f"/api/v1/inventory/{path}" for path in (
    "categories", "products", "products?search=item", "products?low_stock=true", "warehouses",
    "stock-levels", "movements", "low-stock-alerts", "valuation")]


def add_rows(count: int, user) -> None:
    """``count`` of everything: categories, warehouses, low products with levels, movements
    (by a user), alerts (acknowledged by a user)."""
    for _ in range(count):
        category, warehouse = f.CategoryFactory(), f.WarehouseFactory()
        item = f.ProductFactory(name="Item", category=category, reorder_level=Decimal("100"))
        f.receive(item, warehouse, 3, created_by=user)
    low_stock_check()
    LowStockAlert.objects.update(acknowledged_by=user)


captured_many = []


def queries(client, url: str) -> int:
    # Warm up first: the first request looks the host up, and one after ORM work in another
    # schema sets the search_path again; neither depends on the rows.
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    captured_many[:] = captured.captured_queries
    return len(captured)


@pytest.mark.parametrize("url", LISTS)
def test_query_count_does_not_grow_with_the_rows(url, client_for, make_user, in_tenant):
    client = client_for("acme", role="viewer")
    user = make_user("acme", role="member")
    with in_tenant("acme"):
        add_rows(1, user)
    one = queries(client, url)
    with in_tenant("acme"):
        add_rows(6, user)
    many = queries(client, url)
    assert many == one, "\n".join(q["sql"][:200] for q in captured_many)
    body = client.get(url).json()
    rows = body.get("results", body.get("warehouses"))
    assert len(rows) >= 7  # the page really holds the many rows
