"""Categories, products and warehouses through the API: CRUD, validation, filters, ordering."""

import datetime as dt
import json

import pytest

from tenant_apps.inventory.models import Category, Product, Warehouse
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client_for):
    return client_for("acme", role="admin")


def post(client, url, body):
    return client.post(url, body, format="json")


def error(response) -> dict:
    return response.json()["error"]


def test_admin_builds_a_catalog_and_reads_it_back(admin):
    category = post(admin, "/api/v1/inventory/categories", {"name": "Fasteners"})
    assert category.status_code == 201, category.content
    product = post(admin, "/api/v1/inventory/products", {
        "sku": "HB-M8-40", "name": "Hex bolt M8x40", "unit": "pcs",
        "category": category.json()["id"], "barcode": "4006381333931",
        "price": "0.45", "cost": "0.12", "reorder_level": "500"})
    assert product.status_code == 201, product.content
    warehouse = post(admin, "/api/v1/inventory/warehouses", {"code": "main",
                                                             "name": "Main warehouse"})
    assert warehouse.status_code == 201, warehouse.content
    assert warehouse.json()["code"] == "MAIN"  # codes are upper-cased

    detail = admin.get(f"/api/v1/inventory/products/{product.json()['id']}").json()
    assert detail["category_name"] == "Fasteners"
    assert detail["price"] == "0.45" and detail["on_hand"] == "0.000"
    assert admin.get("/api/v1/inventory/categories").json()["results"][0]["product_count"] == 1


def test_sku_is_unique_regardless_of_case(admin, in_tenant):
    with in_tenant("acme"):
        f.ProductFactory(sku="AB-1")
    response = post(admin, "/api/v1/inventory/products", {"sku": "ab-1", "name": "Clash"})
    assert response.status_code == 400
    assert error(response)["fields"] == {"sku": ["A product with this SKU exists."]}


def test_unknown_fields_are_refused_by_name_and_nothing_is_created(admin, in_tenant):
    response = post(admin, "/api/v1/inventory/products",
                    {"sku": "X-1", "name": "Widget", "prise": "3", "colour": "red"})
    assert response.status_code == 400
    assert error(response)["fields"] == {"colour": ["Unknown field."],
                                         "prise": ["Unknown field."]}
    with in_tenant("acme"):
        assert not Product.objects.filter(sku="X-1").exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"price": "1e20"}, "price"),
    ({"price": 12345678901234567890}, "price"),
    ({"cost": "-1"}, "cost"),
    ({"reorder_level": "NaN"}, "reorder_level"),
    ({"reorder_level": "99999999999999"}, "reorder_level"),
    ({"price": "twelve"}, "price"),
    ({"unit": "barrel"}, "unit"),
    ({"category": "abc"}, "category"),
    ({"category": 10**30}, "category"),
    ({"is_active": "maybe"}, "is_active"),
    ({"sku": "has space"}, "sku"),
    ({"sku": "x" * 65}, "sku"),
    ({"name": 0}, "name"),  # text fields take text, not numbers turned into "0"
    ({"description": True}, "description"),
])
def test_bad_values_are_field_errors_never_server_errors(admin, body, field):
    response = post(admin, "/api/v1/inventory/products", {"sku": "OK-1", "name": "Widget", **body})
    assert response.status_code == 400, response.content
    assert field in error(response)["fields"]


def test_malformed_json_is_a_400(admin):
    response = admin.post("/api/v1/inventory/products", data='{"sku": "A", ',
                          content_type="application/json")
    assert response.status_code == 400
    assert error(response)["code"] == "malformed_request"


def test_a_body_that_is_not_an_object_is_a_400(admin):
    response = admin.post("/api/v1/inventory/products", data=json.dumps([1, 2]),
                          content_type="application/json")
    assert response.status_code == 400


def test_put_of_what_get_returned_works(admin, in_tenant):
    with in_tenant("acme"):
        item = f.ProductFactory(name="Old name")
    body = admin.get(f"/api/v1/inventory/products/{item.pk}").json()
    body["name"] = "New name"
    response = admin.put(f"/api/v1/inventory/products/{item.pk}", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "New name"


def test_warehouse_code_clash_is_found_after_upper_casing(admin, in_tenant):
    with in_tenant("acme"):
        f.WarehouseFactory(code="NORTH")
    response = post(admin, "/api/v1/inventory/warehouses", {"code": "north", "name": "Again"})
    assert response.status_code == 400
    assert "code" in error(response)["fields"]


def test_things_in_use_cannot_be_deleted(admin, in_tenant):
    with in_tenant("acme"):
        category = f.CategoryFactory()
        item, main = f.ProductFactory(category=category), f.WarehouseFactory()
        f.receive(item, main, 1)
        unused = f.ProductFactory()
    for url, code in ((f"/api/v1/inventory/products/{item.pk}", "product_in_use"),
                      (f"/api/v1/inventory/categories/{category.pk}", "category_in_use"),
                      (f"/api/v1/inventory/warehouses/{main.pk}", "warehouse_in_use")):
        response = admin.delete(url)
        assert response.status_code == 409, url
        assert error(response)["code"] == code
    assert admin.delete(f"/api/v1/inventory/products/{unused.pk}").status_code == 204
    with in_tenant("acme"):
        assert Product.objects.filter(pk=item.pk).exists()
        assert Category.objects.filter(pk=category.pk).exists()
        assert Warehouse.objects.filter(pk=main.pk).exists()


def test_product_search_finds_name_words_sku_prefix_and_barcode(admin, in_tenant):
    with in_tenant("acme"):
        f.ProductFactory(sku="HB-M8-40", name="Hex bolt M8x40 zinc", barcode="4006381333931")
        f.ProductFactory(sku="WS-M8", name="Washer M8")
        f.ProductFactory(sku="DR-3.5", name="Drill bit 3.5 mm")
        f.ProductFactory(sku="GL-L", name="Nitrile gloves, large")

    def skus(term):
        response = admin.get("/api/v1/inventory/products", {"search": term})
        assert response.status_code == 200
        return sorted(p["sku"] for p in response.json()["results"])

    assert skus("bolt") == ["HB-M8-40"]
    assert skus("HEX m8") == ["HB-M8-40"]  # every word, as a prefix, any case
    assert skus("m8") == ["HB-M8-40", "WS-M8"]
    assert skus("hb-m") == ["HB-M8-40"]  # SKU prefix
    assert skus("4006381333931") == ["HB-M8-40"]  # barcode
    assert skus("3.5") == ["DR-3.5"]
    assert skus("glove") == ["GL-L"]
    assert skus("bolt washer") == []
    assert skus("%' & |") == []  # search syntax is not passed through


def test_product_filters_and_ordering(admin, in_tenant):
    with in_tenant("acme"):
        tools = f.CategoryFactory(name="Tools")
        main = f.WarehouseFactory()
        hammer = f.ProductFactory(sku="T-1", name="Hammer", category=tools, price="20",
                                  reorder_level=5)
        saw = f.ProductFactory(sku="T-2", name="Saw", category=tools, price="35", reorder_level=5)
        f.ProductFactory(sku="T-3", name="Old saw", category=tools, is_active=False)
        f.ProductFactory(sku="X-1", name="Tape")
        f.receive(hammer, main, 3)  # low: 3 <= 5
        f.receive(saw, main, 50)

    def skus(**params):
        response = admin.get("/api/v1/inventory/products", params)
        assert response.status_code == 200, response.content
        return [p["sku"] for p in response.json()["results"]]

    assert skus(category=tools.pk) == ["T-1", "T-2", "T-3"]
    assert skus(category=tools.pk, is_active="false") == ["T-3"]
    assert skus(low_stock="true") == ["T-1"]
    assert skus(category=tools.pk, is_active="true", ordering="-price") == ["T-2", "T-1"]
    assert skus(ordering="-on_hand")[:2] == ["T-2", "T-1"]


@pytest.mark.parametrize("params", [{"category": "abc"}, {"category": "1" * 30},
                                    {"is_active": "maybe"}, {"low_stock": "2"},
                                    {"ordering": "prise"}, {"ordering": "sku,-colour"}])
def test_bad_filter_values_are_400s_naming_the_parameter(admin, params):
    response = admin.get("/api/v1/inventory/products", params)
    assert response.status_code == 400
    assert set(error(response)["fields"]) == set(params)


def test_an_unknown_or_absurd_id_is_a_404(admin):
    for pk in ("999999", "abc", "9" * 30):
        assert admin.get(f"/api/v1/inventory/products/{pk}").status_code == 404


def test_a_product_reads_the_same_in_the_list_and_in_detail(admin, in_tenant):
    with in_tenant("acme"):
        item = f.ProductFactory(category=f.CategoryFactory(name="Tools"), reorder_level="2.5")
        f.receive(item, f.WarehouseFactory(), 3)
    listed = admin.get("/api/v1/inventory/products").json()["results"]
    detail = admin.get(f"/api/v1/inventory/products/{item.pk}").json()
    assert listed == [detail]
    assert detail["on_hand"] == "3.000" and detail["reorder_level"] == "2.500"
    assert detail["created_at"].endswith("Z")
    assert dt.datetime.fromisoformat(detail["updated_at"]) >= dt.datetime.fromisoformat(
        detail["created_at"])
