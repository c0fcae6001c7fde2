"""Another tenant's inventory never shows: not in lists, not by id (404, as a missing row), not
through an API key. Each tenant's schema has its own id sequences, so acme's ids are first moved
past globex's: an acme id then names nothing in globex, and a 404 proves the lookup stayed in
globex's schema rather than landing on some globex row by coincidence."""

import pytest
from django.db import connection

from tenant_apps.inventory.models import (
    Category,
    LowStockAlert,
    Product,
    StockLevel,
    StockMovement,
    Warehouse,
)
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db

MODELS = [Category, Product, Warehouse, StockLevel, StockMovement, LowStockAlert]

# endpoint -> (model, field of a row that names it in a response)
ENDPOINTS = {
    "/api/v1/inventory/categories": (Category, "name"),
    "/api/v1/inventory/products": (Product, "sku"),
    "/api/v1/inventory/warehouses": (Warehouse, "code"),
    "/api/v1/inventory/stock-levels": (StockLevel, "product_sku"),
    "/api/v1/inventory/movements": (StockMovement, "reference"),
    "/api/v1/inventory/low-stock-alerts": (LowStockAlert, "product_sku"),
}


def _seed(slug: str) -> dict:
    tag = slug.upper()
    category = f.CategoryFactory(name=f"{tag} category")
    item = f.ProductFactory(sku=f"{tag}-SKU", category=category, reorder_level=50)
    main = f.WarehouseFactory(code=f"{tag}-WH")
    movement = f.receive(item, main, 10, reference=f"{tag}-REF")
    alert = LowStockAlert.objects.create(product=item, warehouse=main, quantity=10,
                                         reorder_level=50)
    return {Category: category, Product: item, Warehouse: main,
            StockLevel: StockLevel.objects.get(product=item), StockMovement: movement,
            LowStockAlert: alert}


@pytest.fixture
def rows(in_tenant) -> dict[str, dict]:
    with in_tenant("globex"):
        globex = _seed("globex")
        floors = {model: (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
                  for model in MODELS}
    with in_tenant("acme"):
        with connection.cursor() as cursor:
            for model, floor in floors.items():
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                               [model._meta.db_table, floor + 1000])
        acme = _seed("acme")
    for model in MODELS:
        assert acme[model].pk > globex[model].pk
    return {"acme": acme, "globex": globex}


@pytest.fixture(params=["session", "api key"])
def globex_client(request, client_for, api_key_for):
    if request.param == "session":
        return client_for("globex", role="owner")
    return api_key_for("globex", scope="read_write", role="owner")[0]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_lists_show_only_the_callers_tenant(url, rows, globex_client):
    _model, field = ENDPOINTS[url]
    response = globex_client.get(url)
    assert response.status_code == 200
    names = [row[field] for row in response.json()["results"]]
    assert names and all(not str(name).startswith("ACME") for name in names)
    assert all(str(name).startswith("GLOBEX") for name in names)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_another_tenants_id_is_a_404_and_the_own_id_works(url, rows, globex_client):
    model, field = ENDPOINTS[url]
    assert globex_client.get(f"{url}/{rows['acme'][model].pk}").status_code == 404
    own = globex_client.get(f"{url}/{rows['globex'][model].pk}")
    assert own.status_code == 200
    assert str(own.json()[field]).startswith("GLOBEX")


def test_valuation_and_filters_do_not_reach_into_another_tenant(rows, globex_client):
    acme = rows["acme"]
    valuation = globex_client.get("/api/v1/inventory/valuation").json()
    codes = [w["code"] for w in valuation["warehouses"]]
    assert codes == ["GLOBEX-WH"]
    for url, params in (("/api/v1/inventory/products", {"search": "ACME"}),
                        ("/api/v1/inventory/stock-levels", {"product": acme[Product].pk}),
                        ("/api/v1/inventory/movements", {"warehouse": acme[Warehouse].pk}),
                        ("/api/v1/inventory/products", {"category": acme[Category].pk})):
        response = globex_client.get(url, params)
        assert response.status_code == 200
        assert response.json()["results"] == []


def test_writes_cannot_target_another_tenants_rows(rows, globex_client, in_tenant):
    acme = rows["acme"]
    assert globex_client.patch(f"/api/v1/inventory/products/{acme[Product].pk}", {"name": "x"},
                               format="json").status_code == 404
    assert globex_client.delete(
        f"/api/v1/inventory/warehouses/{acme[Warehouse].pk}").status_code == 404
    assert globex_client.post(
        f"/api/v1/inventory/low-stock-alerts/{acme[LowStockAlert].pk}/acknowledge"
    ).status_code == 404
    response = globex_client.post("/api/v1/inventory/movements", {
        "kind": "receipt", "product": acme[Product].pk, "quantity": 1,
        "to_warehouse": acme[Warehouse].pk}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"product", "to_warehouse"}
    with in_tenant("acme"):
        assert Product.objects.get(pk=acme[Product].pk).name != "x"
        assert StockMovement.objects.count() == 1


def test_an_acme_key_sent_to_globex_is_a_401(rows, api_key_for, client_for):
    _client, raw_key = api_key_for("acme", scope="read_write", role="owner")
    from tests.conftest import TenantClient

    stranger = TenantClient("globex", HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    for url in ENDPOINTS:
        assert stranger.get(url).status_code == 401
    assert stranger.get(f"/api/v1/inventory/products/{rows['acme'][Product].pk}").status_code == 401
