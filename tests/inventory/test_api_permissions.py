"""Who may do what: viewers read, members record movements, admins manage the catalog and run
imports and exports, owners do everything. An API key acts as its creator, capped by its scope
(``read`` = viewer, ``read_write`` = at most admin)."""

from decimal import Decimal

import pytest

from tenant_apps.inventory.models import LowStockAlert
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db

RANK = {"viewer": 0, "member": 1, "admin": 2, "owner": 3}

# caller -> (how to build it, effective role)
CALLERS = {
    "viewer": ("session", "viewer", "viewer"),
    "member": ("session", "member", "member"),
    "admin": ("session", "admin", "admin"),
    "owner": ("session", "owner", "owner"),
    "read key of an owner": ("key:read", "owner", "viewer"),
    "read_write key of an owner": ("key:read_write", "owner", "admin"),
    "read_write key of a member": ("key:read_write", "member", "member"),
}

# action -> (method, url template, body, minimum role, status when allowed)
ACTIONS = {
    "list products": ("get", "/api/v1/inventory/products", None, "viewer", 200),
    "read a product": ("get", "/api/v1/inventory/products/{product}", None, "viewer", 200),
    "create a product": ("post", "/api/v1/inventory/products", {"sku": "NEW-1", "name": "New"},
                         "admin",
                         201),
    "rename a warehouse": ("patch", "/api/v1/inventory/warehouses/{warehouse}", {"name": "Renamed"},
                           "admin", 200),
    "delete a category": ("delete", "/api/v1/inventory/categories/{category}", None, "admin", 204),
    "list stock levels": ("get", "/api/v1/inventory/stock-levels", None, "viewer", 200),
    "read valuation": ("get", "/api/v1/inventory/valuation", None, "viewer", 200),
    "list movements": ("get", "/api/v1/inventory/movements", None, "viewer", 200),
    "record a movement": ("post", "/api/v1/inventory/movements",
                          {"kind": "issue", "product": "{product}", "quantity": "1",
                           "from_warehouse": "{warehouse}"}, "member", 201),
    "record movements in bulk": ("post", "/api/v1/inventory/movements/bulk",
                                 {"items": [{"kind": "issue", "product": "{product}",
                                             "quantity": "1", "from_warehouse": "{warehouse}"}]},
                                 "member", 201),
    "list alerts": ("get", "/api/v1/inventory/low-stock-alerts", None, "viewer", 200),
    "acknowledge an alert": ("post", "/api/v1/inventory/low-stock-alerts/{alert}/acknowledge", None,
                             "member", 200),
    "export": ("post", "/api/v1/inventory/exports", {"kind": "products"}, "admin", 202),
    "import": ("post", "/api/v1/inventory/imports?kind=products", "csv", "admin", 202),
}


@pytest.fixture
def ids(in_tenant) -> dict[str, int]:
    with in_tenant("acme"):
        category = f.CategoryFactory()
        item, main = f.ProductFactory(reorder_level=Decimal("100")), f.WarehouseFactory()
        f.receive(item, main, 5)
        alert = LowStockAlert.objects.create(product=item, warehouse=main, quantity=5,
                                             reorder_level=100)
    return {"product": item.pk, "warehouse": main.pk, "category": category.pk,
            "alert": alert.pk}


def _fill(value, ids):
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def call(client, action: str, ids: dict):
    method, url, body, _minimum, _ok = ACTIONS[action]
    url = url.format(**ids)
    if body == "csv":
        return client.post(url, data=b"sku,name\nCSV-1,From CSV\n", content_type="text/csv")
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, _fill(body, ids), format="json")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", ACTIONS)
def test_role_matrix(caller, action, ids, client_for, api_key_for):
    kind, role, effective = CALLERS[caller]
    if kind == "session":
        client = client_for("acme", role=role)
    else:
        client, _ = api_key_for("acme", scope=kind.split(":")[1], role=role)
    _method, _url, _body, minimum, ok = ACTIONS[action]
    response = call(client, action, ids)
    expected = ok if RANK[effective] >= RANK[minimum] else 403
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_callers_are_asked_to_authenticate(action, ids, client_for):
    response = call(client_for("acme", role=None), action, ids)
    assert response.status_code == 401
