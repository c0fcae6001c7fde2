"""The tenant web UI: pages need a login, render for the signed-in tenant, and carry the CSRF
cookie their API calls need."""

import pytest

from tests.conftest import TenantClient


@pytest.mark.parametrize("path", ["/", "/inventory/", "/attendance/"])
def test_pages_redirect_anonymous_users_to_login(db, path):
    response = TenantClient("acme").get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("path,marker", [
    ("/", b"Inventory</a>: products"),
    ("/inventory/", b"/api/v1/inventory/products?"),
    ("/attendance/", b"/api/v1/attendance/"),
])
def test_pages_render_for_a_member_with_csrf_cookie(client_for, path, marker):
    client = client_for("globex", role="member")
    response = client.get(path)
    assert response.status_code == 200
    assert marker in response.content
    assert b"Globex" in response.content
    assert client.user.email.encode() in response.content
    if path != "/":
        assert "csrftoken" in response.cookies


def test_the_apis_the_pages_call_answer_for_a_member(client_for):
    client = client_for("acme", role="member")
    assert client.get("/api/v1/inventory/products", {"page": 1, "page_size": 25,
                                           "low_stock": "true"}).status_code == 200
    assert client.get("/api/v1/inventory/low-stock-alerts", {"status": "open",
                                                   "page_size": 20}).status_code == 200
    assert client.get("/api/v1/attendance/records", {"page_size": 20}).status_code == 200
