"""Recording and reading stock movements through the API."""

import datetime as dt

import pytest
from django.utils import timezone

from tenant_apps.inventory.models import StockLevel, StockMovement
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(in_tenant):
    """A product with 10 in MAIN, an empty NORTH."""
    with in_tenant("acme"):
        item = f.ProductFactory(sku="BOLT", unit="pcs")
        main, north = f.WarehouseFactory(code="MAIN"), f.WarehouseFactory(code="NORTH")
        f.receive(item, main, 10)
    return item, main, north


@pytest.fixture
def member(client_for):
    return client_for("acme", role="member")


def levels(in_tenant, item) -> dict[str, str]:
    with in_tenant("acme"):
        return {lv.warehouse.code: f"{lv.quantity.normalize():f}"
                for lv in StockLevel.objects.filter(product=item).select_related("warehouse")}


def error(response) -> dict:
    return response.json()["error"]


def test_member_records_a_transfer_and_sees_it_in_the_ledger(member, stock, in_tenant):
    item, main, north = stock
    response = member.post("/api/v1/inventory/movements", {
        "kind": "transfer", "product": item.pk, "quantity": "4", "from_warehouse": main.pk,
        "to_warehouse": north.pk, "reference": "TO-1001"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["from_warehouse_code"] == "MAIN" and body["to_warehouse_code"] == "NORTH"
    assert body["created_by"] == member.user.email and body["quantity"] == "4.000"
    assert levels(in_tenant, item) == {"MAIN": "6", "NORTH": "4"}
    assert member.get(f"/api/v1/inventory/movements/{body['id']}").json()["reference"] == "TO-1001"


def test_issuing_more_than_available_is_a_409_and_changes_nothing(member, stock, in_tenant):
    item, main, _ = stock
    response = member.post("/api/v1/inventory/movements", {"kind": "issue", "product": item.pk,
                                                 "quantity": 11, "from_warehouse": main.pk},
                           format="json")
    assert response.status_code == 409
    assert error(response)["code"] == "insufficient_stock"
    assert "Only 10 pcs of BOLT in MAIN" in error(response)["message"]
    assert levels(in_tenant, item) == {"MAIN": "10"}


def test_a_movement_made_with_an_api_key_records_the_key(api_key_for, stock, in_tenant):
    item, main, _ = stock
    client, raw_key = api_key_for("acme", scope="read_write", role="member")
    response = client.post("/api/v1/inventory/movements", {"kind": "issue", "product": item.pk,
                                                 "quantity": 1, "from_warehouse": main.pk},
                           format="json")
    assert response.status_code == 201, response.content
    assert response.json()["api_key_prefix"] == raw_key[3:].split(".")[0]


def test_a_retried_post_with_the_same_idempotency_key_is_recorded_once(member, stock,
                                                                       in_tenant):
    item, main, _ = stock
    body = {"kind": "issue", "product": item.pk, "quantity": 2, "from_warehouse": main.pk}
    first = member.post("/api/v1/inventory/movements", body, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    again = member.post("/api/v1/inventory/movements", body, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert levels(in_tenant, item) == {"MAIN": "8"}


@pytest.mark.parametrize(("body", "field"), [
    ({"quantity": "1e400"}, "quantity"),
    ({"quantity": 1e308}, "quantity"),
    ({"quantity": "Infinity"}, "quantity"),
    ({"quantity": "0"}, "quantity"),
    ({"quantity": "1.0001"}, "quantity"),
    ({"quantity": "1000000000"}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"product": "BOLT"}, "product"),
    ({"product": 2**63}, "product"),
    ({"product": 987654}, "product"),
    ({"from_warehouse": 987654}, "from_warehouse"),
    ({"occurred_at": "2026-02-30T10:00:00Z"}, "occurred_at"),
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"kind": "theft"}, "kind"),
    ({"qty": 1}, "qty"),
])
def test_bad_movements_are_400s_naming_the_field(member, stock, in_tenant, body, field):
    item, main, _ = stock
    base = {"kind": "issue", "product": item.pk, "quantity": "1", "from_warehouse": main.pk}
    response = member.post("/api/v1/inventory/movements", {**base, **body}, format="json")
    assert response.status_code == 400, response.content
    assert field in error(response)["fields"]
    assert levels(in_tenant, item) == {"MAIN": "10"}


def test_a_movement_cannot_be_dated_in_the_future(member, stock):
    item, main, _ = stock
    later = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response = member.post("/api/v1/inventory/movements", {
        "kind": "issue", "product": item.pk, "quantity": 1, "from_warehouse": main.pk,
        "occurred_at": later}, format="json")
    assert response.status_code == 400
    assert "occurred_at" in error(response)["fields"]


def test_movements_cannot_be_changed_or_deleted(client_for, stock, in_tenant):
    owner = client_for("acme", role="owner")
    with in_tenant("acme"):
        movement = StockMovement.objects.first()
    url = f"/api/v1/inventory/movements/{movement.pk}"
    assert owner.patch(url, {"quantity": 1}, format="json").status_code == 405
    assert owner.delete(url).status_code == 405


def test_bulk_is_all_or_nothing_and_names_the_failing_item(member, stock, in_tenant):
    item, main, north = stock
    items = [{"kind": "transfer", "product": item.pk, "quantity": 3, "from_warehouse": main.pk,
              "to_warehouse": north.pk} for _ in range(3)]
    items.append({"kind": "issue", "product": item.pk, "quantity": 2, "from_warehouse": main.pk})
    response = member.post("/api/v1/inventory/movements/bulk", {"items": items}, format="json")
    assert response.status_code == 409
    assert error(response)["fields"] == {
        "items.3.quantity": ["Only 1 pcs of BOLT in MAIN; cannot take 2."]}
    assert levels(in_tenant, item) == {"MAIN": "10"}

    items[3]["quantity"] = 1
    response = member.post("/api/v1/inventory/movements/bulk", {"items": items}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["count"] == 4
    assert levels(in_tenant, item) == {"MAIN": "0", "NORTH": "9"}


def test_bulk_validation_errors_are_per_item(member, stock):
    item, main, _ = stock
    good = {"kind": "issue", "product": item.pk, "quantity": 1, "from_warehouse": main.pk}
    response = member.post("/api/v1/inventory/movements/bulk", {"items": [
        good, {**good, "quantity": "abc"}, {**good, "product": 987654}, {**good, "extra": 1}]},
        format="json")
    assert response.status_code == 400
    fields = error(response)["fields"]
    assert set(fields) == {"items.1.quantity", "items.3.extra"}
    # Ids are checked once the shapes are right.
    response = member.post("/api/v1/inventory/movements/bulk",
                           {"items": [good, {**good, "product": 987654}]}, format="json")
    assert error(response)["fields"] == {"items.1.product": ["No such product."]}


@pytest.mark.parametrize(("items", "message"), [([], "empty"), ("nope", "list"),
                                                (None, "null")])
def test_bulk_needs_a_list_of_items(member, items, message):
    response = member.post("/api/v1/inventory/movements/bulk", {"items": items}, format="json")
    assert response.status_code == 400
    assert "items" in error(response)["fields"]


def test_bulk_refuses_more_than_1000_items(member, stock):
    item, main, _ = stock
    good = {"kind": "issue", "product": item.pk, "quantity": 1, "from_warehouse": main.pk}
    response = member.post("/api/v1/inventory/movements/bulk", {"items": [good] * 1001},
                           format="json")
    assert response.status_code == 400
    assert error(response)["fields"] == {"items": ["At most 1000 movements per request."]}


def test_movement_history_filters(member, stock, in_tenant):
    item, main, north = stock
    with in_tenant("acme"):
        other = f.ProductFactory()
        f.receive(other, north, 5, occurred_at=dt.datetime(2026, 1, 15, tzinfo=dt.UTC))
        f.issue(item, main, 1, occurred_at=dt.datetime(2026, 2, 1, 8, tzinfo=dt.UTC))

    def kinds(**params):
        response = member.get("/api/v1/inventory/movements", params)
        assert response.status_code == 200, response.content
        return [(m["kind"], m["product_sku"]) for m in response.json()["results"]]

    assert kinds(product=item.pk, ordering="occurred_at")[-2:] == [("issue", "BOLT"),
                                                                  ("receipt", "BOLT")]
    assert kinds(warehouse=north.pk) == [("receipt", other.sku)]
    assert kinds(kind="issue") == [("issue", "BOLT")]
    assert kinds(since="2026-01-01", until="2026-02-01") == [("receipt", other.sku)]
    assert kinds(since="2026-02-01T00:00:00Z", until="2026-02-02") == [("issue", "BOLT")]
    assert kinds(search="to-10") == []
    member.post("/api/v1/inventory/movements", {"kind": "issue", "product": item.pk, "quantity": 1,
                                      "from_warehouse": main.pk, "reference": "SO-4711"},
                format="json")
    assert kinds(search="so-47") == [("issue", "BOLT")]


@pytest.mark.parametrize("params", [{"since": "2026-13-01"}, {"until": "soon"},
                                    {"product": "x"}, {"kind": "theft"}, {"kind": ""},
                                    {"warehouse": ""}])
def test_bad_history_filters_are_400s(member, params):
    response = member.get("/api/v1/inventory/movements", params)
    assert response.status_code == 400
    assert set(error(response)["fields"]) == set(params)


def test_stock_levels_and_valuation(member, stock, in_tenant):
    item, _main, north = stock
    with in_tenant("acme"):
        item.reorder_level = 20
        item.cost = "1.25"
        item.save()
        glue = f.ProductFactory(sku="GLUE", unit="kg", cost="3.10")
        f.receive(glue, north, "2.5")
    levels_page = member.get("/api/v1/inventory/stock-levels",
                             {"product": item.pk}).json()["results"]
    assert [(lv["warehouse_code"], lv["quantity"], lv["is_low"]) for lv in levels_page] == [
        ("MAIN", "10.000", True)]
    low = member.get("/api/v1/inventory/stock-levels", {"low": "true"}).json()["results"]
    assert [lv["product_sku"] for lv in low] == ["BOLT"]
    found = member.get("/api/v1/inventory/stock-levels", {"search": "glue"}).json()["results"]
    assert [(lv["product_sku"], lv["warehouse_code"]) for lv in found] == [("GLUE", "NORTH")]

    valuation = member.get("/api/v1/inventory/valuation").json()
    by_code = {w["code"]: w["value"] for w in valuation["warehouses"]}
    assert by_code == {"MAIN": "12.50", "NORTH": "7.75"}
    assert valuation["total_value"] == "20.25"
