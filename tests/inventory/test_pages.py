"""The inventory pages as a user meets them: the product list's search, filters, sorting and
paging; a product's stock per warehouse; movements refused with the available quantity on the
field and then accepted; low-stock alerts acknowledged over HTMX; an import's per-row errors;
and another tenant's ids in any URL or form field answered 404 (or refused as no such row)."""

import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenant_apps.inventory.models import StockMovement
from tenant_apps.inventory.services import low_stock_check
from tests.inventory import factories as f


def _text(response) -> str:
    """What the page says: no tags, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_product_list_searches_filters_sorts_and_pages(client_for, in_tenant):
    client = client_for("acme", role="viewer")
    with in_tenant("acme"):
        bolts = f.CategoryFactory(name="Bolts")
        main = f.WarehouseFactory(code="MAIN")
        for n in range(30):
            f.ProductFactory(sku=f"BOLT-{n:02d}", name=f"Hex bolt {n:02d}", category=bolts)
        washer = f.ProductFactory(sku="WASH-1", name="Washer", reorder_level=10, unit="kg")
        f.receive(washer, main, Decimal("2.5"))
        f.ProductFactory(sku="OLD-1", name="Retired", is_active=False)

    page = _text(client.get("/inventory/"))
    assert "31 in all · page 1 of 2" in page and "OLD-1" not in page
    assert "BOLT-00" in page and "BOLT-25" not in page
    assert "BOLT-25" in _text(client.get("/inventory/?page=2"))
    low = _text(client.get("/inventory/?low=yes"))
    assert "WASH-1" in low and "2.5 kg" in low and "BOLT-00" not in low
    assert "OLD-1" in _text(client.get("/inventory/?active=no"))
    found = client.get("/inventory/?q=hex+bolt+07", HTTP_HX_REQUEST="true")
    assert "<html" not in found.content.decode(), "HTMX gets the rows only"
    assert "BOLT-07" in _text(found) and "BOLT-08" not in _text(found)
    by_stock = _text(client.get("/inventory/?sort=-on_hand"))
    assert by_stock.index("WASH-1") < by_stock.index("BOLT-00")
    assert "Hex bolt" not in _text(client.get(f"/inventory/?category={bolts.pk + 999}"))
    empty = _text(client.get("/inventory/?q=nothing-like-this"))
    assert "No products match these filters" in empty


def test_product_detail_shows_stock_per_warehouse_and_its_low_level(client_for, in_tenant):
    client = client_for("acme", role="viewer")
    with in_tenant("acme"):
        main, north = f.WarehouseFactory(code="MAIN"), f.WarehouseFactory(code="NORTH")
        bolt = f.ProductFactory(sku="BOLT-1", reorder_level=10)
        f.receive(bolt, main, 25)
        f.receive(bolt, north, 4, reference="PO-7")
    page = _text(client.get(f"/inventory/products/{bolt.pk}/"))
    assert "29 pcs in all warehouses" in page
    assert re.search(r"MAIN .*? 25 pcs ok", page)
    assert re.search(r"NORTH .*? 4 pcs low: at or below 10 pcs", page)
    assert "PO-7" in page and "Record a movement" not in page  # a viewer records nothing


def test_an_issue_beyond_the_stock_says_what_is_available_then_is_accepted(client_for,
                                                                           in_tenant):
    client = client_for("acme", role="member")
    with in_tenant("acme"):
        main = f.WarehouseFactory(code="MAIN")
        bolt = f.ProductFactory(sku="BOLT-1")
        f.receive(bolt, main, 3)
    form = {"kind": "issue", "sku": "bolt-1", "quantity": "5", "from_warehouse": main.pk,
            "to_warehouse": "", "reference": "", "note": ""}
    refused = client.post("/inventory/movements/new", form)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert re.search(r'class="field invalid">\s*<label for="id_quantity"', html)
    assert "Only 3 pcs of BOLT-1 in MAIN; cannot take 5." in _text(refused)
    accepted = client.post("/inventory/movements/new", {**form, "quantity": "2"})
    assert accepted.status_code == 302
    assert accepted["Location"] == f"/inventory/products/{bolt.pk}/"
    assert "1 pcs in all warehouses" in _text(client.get(accepted["Location"]))
    missing = client.post("/inventory/movements/new", {**form, "kind": "receipt",
                                                        "from_warehouse": ""})
    assert "A receipt needs the warehouse it goes into." in _text(missing)


def test_low_stock_alerts_are_explained_per_warehouse_and_acknowledged(client_for, in_tenant):
    client = client_for("acme", role="member")
    with in_tenant("acme"):
        alert = f.open_low_stock_alert()
    page = _text(client.get("/inventory/alerts/"))
    assert "2 pcs in MAIN, reorder at 10 pcs" in page and "open" in page
    row = client.post(f"/inventory/alerts/{alert.pk}/acknowledge", HTTP_HX_REQUEST="true")
    assert row.content.decode().lstrip().startswith("<tr"), "HTMX gets the row only"
    assert "acknowledged" in _text(row) and client.user.email in _text(row)
    assert "No open alerts" in _text(client.get("/inventory/alerts/?status=open"))


def test_a_bad_import_is_refused_at_once_or_reported_by_row(client_for, in_tenant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tenant_apps.core.models import Job
    from tenant_apps.core.services.jobs import job_run
    from tenant_apps.inventory.csv_import import csv_import_run

    admin = client_for("acme", role="admin")
    bad_header = SimpleUploadedFile("p.csv", b"code,title\nA,B\n", content_type="text/csv")
    refused = admin.post("/inventory/files/", {"action": "import", "kind": "products",
                                               "file": bad_header})
    assert refused.status_code == 400 and "missing column(s): sku" in _text(refused)
    rows = SimpleUploadedFile("p.csv", b"sku,name,price\nA-1,Bolt,1.5\nA-2,Nut,abc\n",
                              content_type="text/csv")
    started = admin.post("/inventory/files/", {"action": "import", "kind": "products",
                                               "file": rows})
    assert started.status_code == 302 and started["Location"].startswith("/jobs/")
    with in_tenant("acme"):
        job = Job.objects.get(kind="inventory.import_products")
        job_run(job_id=job.pk, handler=csv_import_run)
    report = _text(admin.get(started["Location"]))
    assert "failed" in report and "nothing was imported" in report
    assert re.search(r"Row Column Problem 3 price [^.]*'abc' is not a number", report)
    poll = admin.get(started["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in poll, "a finished job stops polling"


def test_an_export_offers_its_download_when_ready(client_for, in_tenant):
    from tenant_apps.core.models import Job
    from tenant_apps.core.services.jobs import job_run
    from tenant_apps.inventory.csv_export import csv_export_run

    admin = client_for("acme", role="admin")
    started = admin.post("/inventory/files/", {"action": "export", "kind": "products"})
    queued = admin.get(started["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in queued and "Download" not in queued
    with in_tenant("acme"):
        job_run(job_id=Job.objects.get(kind="inventory.export_products").pk,
                handler=csv_export_run)
    done = admin.get(started["Location"]).content.decode()
    link = re.search(r'href="(/api/v1/jobs/\d+/download)"', done).group(1)
    assert admin.get(link).status_code == 200


def test_warehouses_and_categories_are_created_edited_and_refused_inline(client_for,
                                                                        in_tenant):
    admin = client_for("acme", role="admin")
    created = admin.post("/inventory/warehouses/new", {"code": "east-1", "name": "East",
                                                       "address": "", "is_active": "on"})
    assert created.status_code == 302
    again = admin.post("/inventory/warehouses/new", {"code": "EAST-1", "name": "Again",
                                                     "address": "", "is_active": "on"})
    assert "A warehouse with this code exists." in _text(again)
    with in_tenant("acme"):
        from tenant_apps.inventory.models import Warehouse

        east = Warehouse.objects.get(code="EAST-1")
    edited = admin.post(f"/inventory/warehouses/{east.pk}/edit",
                        {"code": "EAST-1", "name": "East depot", "address": ""})
    assert edited.status_code == 302
    with in_tenant("acme"):
        east.refresh_from_db()
        assert east.name == "East depot" and not east.is_active
    assert admin.post("/inventory/categories/new", {"name": "Tools"}).status_code == 302
    assert "A category with this name exists." in _text(
        admin.post("/inventory/categories/new", {"name": "tools"}))


def test_another_tenants_ids_in_urls_and_form_fields_are_404(client_for, in_tenant):
    client = client_for("acme", role="owner")
    with in_tenant("globex"):
        theirs = f.WarehouseFactory(code="GLOBEX")
        product = f.ProductFactory(sku="GLOBEX-1", reorder_level=10)
        f.receive(product, theirs, 1)
        low_stock_check()
        alert = product.low_stock_alerts.get()
        category = f.CategoryFactory()
    with in_tenant("acme"):
        mine = f.WarehouseFactory(code="MINE")
        f.ProductFactory(sku="MINE-1")
    for url in (f"/inventory/products/{product.pk}/", f"/inventory/products/{product.pk}/edit",
                f"/inventory/warehouses/{theirs.pk}/edit",
                f"/inventory/categories/{category.pk}/edit"):
        assert client.get(url).status_code == 404, url
    for url in (f"/inventory/alerts/{alert.pk}/acknowledge",
                f"/inventory/warehouses/{theirs.pk}/delete",
                f"/inventory/products/{product.pk}/delete"):
        assert client.post(url).status_code == 404, url
    refused = client.post("/inventory/movements/new", {
        "kind": "receipt", "sku": "GLOBEX-1", "quantity": "1", "to_warehouse": mine.pk})
    assert "No product with SKU GLOBEX-1." in _text(refused)
    refused = client.post("/inventory/movements/new", {
        "kind": "receipt", "sku": "MINE-1", "quantity": "1", "to_warehouse": theirs.pk})
    assert "Select a valid choice" in _text(refused)
    with in_tenant("acme"):
        assert not StockMovement.objects.filter(product__sku="MINE-1").exists()
    assert "GLOBEX" not in _text(client.get("/inventory/?q=globex"))


PAGES = ["/inventory/", "/inventory/?low=yes", "/inventory/?q=item", "/inventory/alerts/",
         "/inventory/warehouses/", "/inventory/categories/", "/"]


@pytest.mark.parametrize("url", [*PAGES, "product"])
def test_page_queries_do_not_grow_with_the_rows(url, client_for, make_user, in_tenant):
    client = client_for("acme", role="admin")
    user = make_user("acme", role="member")

    def add(count: int):
        with in_tenant("acme"):
            for _ in range(count):
                category, warehouse = f.CategoryFactory(), f.WarehouseFactory()
                item = f.ProductFactory(name="Item", category=category, reorder_level=100)
                f.receive(item, warehouse, 3, created_by=user)
            low_stock_check()
            return item

    def count() -> int:
        target = f"/inventory/products/{item.pk}/" if url == "product" else url
        client.get(target)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(target).status_code == 200
        return len(captured)

    item = add(1)
    few = count()
    item = add(12)
    assert count() == few
