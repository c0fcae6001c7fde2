"""The tenant web app's shared pages: sign-in and back (also from an HTMX request), the
dashboard, the style guide, workspace settings (the time zone every page shows times in) and API
keys (created, shown once, revoked), and ``/api/v1/me`` with a scoped key."""

import re

import pytest

from tests.conftest import TenantClient

PAGES = ["/", "/styleguide/", "/team/", "/inventory/", "/inventory/alerts/",
         "/inventory/warehouses/", "/inventory/categories/", "/attendance/", "/attendance/present/",
         "/attendance/records/", "/attendance/timesheets/", "/attendance/sites/",
         "/attendance/shifts/", "/attendance/employees/", "/attendance/assignments/"]
ADMIN_PAGES = ["/settings/", "/settings/api-keys/", "/inventory/files/",
               "/inventory/movements/new", "/inventory/warehouses/new"]


@pytest.mark.parametrize("path", PAGES + ADMIN_PAGES)
def test_pages_send_anonymous_users_to_sign_in_and_back(db, path):
    response = TenantClient("acme").get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_an_expired_session_during_an_htmx_request_goes_to_sign_in_and_back(db):
    response = TenantClient("acme").get(
        "/inventory/?page=2", HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://acme.localhost/inventory/?q=bolt&page=2")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Finventory%2F%3Fq%3Dbolt%26page%3D2"


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_a_viewer_in_the_design_system(client_for, path):
    client = client_for("globex", role="viewer")
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    assert "/static/core/app.css" in html and "/static/django_htmx/htmx-2.min.js" in html
    assert 'name="viewport"' in html and "data-theme-toggle" in html
    assert "Globex" in html and client.user.email in html


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_refused_to_members(client_for, path):
    member = client_for("acme", role="member")
    expected = 200 if path == "/inventory/movements/new" else 403
    response = member.get(path)
    assert response.status_code == expected
    if expected == 403:
        assert "Your role does not allow this page." in response.content.decode()


def test_the_static_assets_the_pages_name_are_served(client_for, client):
    page = client_for("acme", role="viewer").get("/styleguide/").content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert len(assets) == 3
    for asset in assets:
        assert client.get(asset, HTTP_HOST="acme.localhost").status_code == 200, asset


def test_navigation_offers_admin_pages_to_admins_only(client_for):
    assert b"/settings/api-keys/" in client_for("acme", role="admin").get("/").content
    assert b"/settings/api-keys/" not in client_for("acme", role="member").get("/").content


def test_workspace_settings_set_the_name_and_the_zone_times_are_shown_in(client_for, in_tenant):
    from tests.inventory import factories as f

    admin = client_for("acme", role="admin")
    response = admin.post("/settings/", {"display_name": "Acme Berlin",
                                         "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = admin.post("/settings/", {"display_name": "Acme Berlin",
                                         "time_zone": "Europe/Berlin"}, follow=True)
    assert response.status_code == 200
    with in_tenant("acme"):
        product, warehouse = f.ProductFactory(), f.WarehouseFactory()
        f.receive(product, warehouse, 1)
    page = admin.get(f"/inventory/products/{product.pk}/").content.decode()
    assert "Acme Berlin" in page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T", page), "time not in Berlin's zone"
    assert "Times in Europe/Berlin" in page


def test_an_api_key_is_shown_once_listed_by_prefix_and_revoked(client_for):
    admin = client_for("acme", role="admin")
    response = admin.post("/settings/api-keys/", {"name": "", "scope": "read"})
    assert "This field is required." in response.content.decode()
    page = admin.post("/settings/api-keys/", {"name": "Scanner", "scope": "read"}).content.decode()
    raw = re.search(r'<code id="raw-key">(sk_[^<]+)</code>', page).group(1)
    prefix = raw[3:].split(".")[0]
    assert 'data-copy="raw-key"' in page
    listing = admin.get("/settings/api-keys/").content.decode()
    assert raw not in listing and f"sk_{prefix}" in listing and "never" in listing

    integrator = TenantClient("acme", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert integrator.get("/api/v1/inventory/products").status_code == 200
    key_id = re.search(r'/settings/api-keys/(\d+)/revoke', listing).group(1)
    revoked = admin.post(f"/settings/api-keys/{key_id}/revoke", follow=True).content.decode()
    assert "revoked" in revoked
    assert integrator.get("/api/v1/inventory/products").status_code == 401


def test_an_expiring_key_is_refused_after_its_date(client_for, in_tenant):
    from datetime import timedelta

    from django.utils import timezone

    from tenant_apps.core.models import ApiKey

    admin = client_for("acme", role="admin")
    page = admin.post("/settings/api-keys/", {"name": "Temp", "scope": "read",
                                              "expires_in": "30"}).content.decode()
    raw = re.search(r'<code id="raw-key">(sk_[^<]+)</code>', page).group(1)
    integrator = TenantClient("acme", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert integrator.get("/api/v1/me").status_code == 200
    with in_tenant("acme"):
        key = ApiKey.objects.get(name="Temp")
        assert timedelta(days=29) < key.expires_at - timezone.now() <= timedelta(days=30)
        ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now())
    assert integrator.get("/api/v1/me").status_code == 401
    assert "expired" in admin.get("/settings/api-keys/").content.decode()


def test_me_reports_the_effective_role_of_a_scoped_key(api_key_for, client_for):
    reader, _ = api_key_for("acme", scope="read", role="owner")
    assert reader.get("/api/v1/me").json()["role"] == "viewer"
    writer, _ = api_key_for("acme", scope="read_write", role="owner")
    assert writer.get("/api/v1/me").json()["role"] == "admin"
    member_writer, _ = api_key_for("acme", scope="read_write", role="member")
    assert member_writer.get("/api/v1/me").json()["role"] == "member"
    assert client_for("acme", role="owner").get("/api/v1/me").json()["role"] == "owner"
