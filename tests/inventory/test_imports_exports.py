"""CSV imports and exports as jobs: checked at request time, validated row by row, written all
or nothing, with progress and a downloadable result."""

import csv
import io
from decimal import Decimal

import pytest

from tenant_apps.core.models import Job
from tenant_apps.inventory import tasks
from tenant_apps.inventory.csv_import import csv_import_run
from tenant_apps.inventory.models import Category, Product, StockLevel, StockMovement
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db

PRODUCTS_CSV = (
    "sku,name,unit,category,barcode,price,cost,reorder_level,active\n"
    "HB-M8,Hex bolt M8,pcs,Fasteners,4006381333931,0.45,0.12,500,true\n"
    "GLUE-1,Wood glue 1 kg,kg,Adhesives,,7.90,3.10,2.5,yes\n"
    "NUT-M8,Nut M8,pcs,fasteners,,0.05,0.01,,\n"
)


@pytest.fixture
def admin(client_for):
    return client_for("acme", role="admin")


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks, monkeypatch, in_tenant):
    """Run the jobs a request queues, in acme, as the worker would (the task body, in-process).
    Usage: ``with run_jobs(): response = client.post(...)``."""

    def run_now(task):
        def apply_async(*, kwargs, **_options):
            with in_tenant("acme"):
                task.run(**kwargs)
        return apply_async

    monkeypatch.setattr(tasks.run_import, "apply_async", run_now(tasks.run_import))
    monkeypatch.setattr(tasks.run_export, "apply_async", run_now(tasks.run_export))
    return lambda: django_capture_on_commit_callbacks(execute=True)


def job(in_tenant, response) -> Job:
    with in_tenant("acme"):
        return Job.objects.get(pk=response.json()["id"])


def upload(client, text: str | bytes, kind: str = "products"):
    raw = text.encode() if isinstance(text, str) else text
    file = io.BytesIO(raw)
    file.name = "catalog.csv"
    return client.post("/api/v1/inventory/imports", {"kind": kind, "file": file},
                       format="multipart")


def test_a_products_import_creates_the_catalog(admin, run_jobs, in_tenant):
    with run_jobs():
        response = upload(admin, PRODUCTS_CSV)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    assert response["Location"] == f"/api/v1/jobs/{response.json()['id']}"
    done = admin.get(response["Location"]).json()
    assert done["status"] == "succeeded", done
    assert done["result"] == {"rows": 3, "created": 3, "updated": 0, "categories_created": 2}
    with in_tenant("acme"):
        glue = Product.objects.select_related("category").get(sku="GLUE-1")
        assert (glue.unit, glue.category.name, glue.cost, glue.reorder_level) == (
            "kg", "Adhesives", Decimal("3.10"), Decimal("2.5"))
        assert Product.objects.get(sku="NUT-M8").category.name == "Fasteners"
        assert Category.objects.count() == 2


def test_an_import_updates_existing_products_by_sku_regardless_of_case(admin, run_jobs,
                                                                       in_tenant):
    with in_tenant("acme"):
        f.ProductFactory(sku="HB-M8", name="Old name", description="kept")
    with run_jobs():
        response = admin.post("/api/v1/inventory/imports?kind=products",
                              data=b"SKU,Name,Price\nhb-m8,New name,1.50\n",
                              content_type="text/csv")
    assert response.status_code == 202, response.content
    assert job(in_tenant, response).result["updated"] == 1
    with in_tenant("acme"):
        bolt = Product.objects.get(sku="HB-M8")
        # Columns absent from the file keep their values.
        assert (bolt.name, bolt.price, bolt.description) == ("New name", Decimal("1.50"), "kept")


def test_a_file_with_bad_rows_imports_nothing_and_reports_each_problem(admin, run_jobs,
                                                                       in_tenant):
    text = PRODUCTS_CSV + ("BAD-1,,pcs,,,abc,,,\n"
                           "HB-M8,Duplicate,pcs,,,1,1,1,true\n"
                           "BAD-2,Too many,pcs,,,1,1,1,true,extra\n"
                           "BAD-3,Huge,barrel,,,99999999999999,,-1,perhaps\n"
                           "BAD 4,Spaced,pcs,,,1,1,1,true\n")
    with run_jobs():
        response = upload(admin, text)
    failed = job(in_tenant, response)
    assert failed.status == "failed"
    assert "nothing was imported" in failed.error
    assert failed.result["errors"] == [
        {"row": 5, "column": "name", "message": "Required."},
        {"row": 5, "column": "price", "message": "'abc' is not a number (use a dot for "
                                                 "decimals)."},
        {"row": 6, "column": "sku", "message": "Repeats the SKU of row 2."},
        {"row": 7, "column": "", "message": "Expected 9 cells, found 10."},
        {"row": 8, "column": "unit", "message": "Must be one of: pcs, box, pack, pair, kg, g, "
                                                "l, ml, m, m2."},
        {"row": 8, "column": "price", "message": "Must be at most 9999999999.99."},
        {"row": 8, "column": "reorder_level", "message": "Must not be negative."},
        {"row": 8, "column": "active", "message": "Use true or false."},
        {"row": 9, "column": "sku", "message": "A SKU has no spaces."},
    ]
    with in_tenant("acme"):
        assert not Product.objects.exists()
        assert not Category.objects.exists()


def test_a_stock_import_sets_counted_quantities_through_adjustments(admin, run_jobs,
                                                                    in_tenant):
    with in_tenant("acme"):
        bolt, glue = f.ProductFactory(sku="HB-M8"), f.ProductFactory(sku="GLUE-1", unit="kg")
        main, north = f.WarehouseFactory(code="MAIN"), f.WarehouseFactory(code="NORTH")
        f.receive(bolt, main, 10)
    with run_jobs():
        response = upload(admin, "sku,warehouse,quantity\nHB-M8,main,7\nglue-1,NORTH,2.5\n"
                                 "HB-M8,NORTH,0\n", kind="stock")
    done = job(in_tenant, response)
    assert done.status == "succeeded", (done.error, done.result)
    assert done.result == {"rows": 3, "adjusted": 2, "unchanged": 1}
    with in_tenant("acme"):
        assert StockLevel.objects.get(product=bolt, warehouse=main).quantity == 7
        assert StockLevel.objects.get(product=glue, warehouse=north).quantity == Decimal("2.5")
        adjustments = StockMovement.objects.filter(kind="adjustment")
        assert sorted(m.quantity for m in adjustments) == [Decimal("2.5"), Decimal("3")]
        assert all(m.reference == f"import #{done.pk}" for m in adjustments)


def test_a_stock_import_refers_to_rows_for_unknown_skus_and_warehouses(admin, run_jobs,
                                                                       in_tenant):
    with in_tenant("acme"):
        f.ProductFactory(sku="PCS-1", unit="pcs")
        f.WarehouseFactory(code="MAIN")
    with run_jobs():
        response = upload(admin, "sku,warehouse,quantity\nNOPE,MAIN,1\nPCS-1,MARS,1\n"
                                 "PCS-1,MAIN,1.5\n", kind="stock")
    failed = job(in_tenant, response)
    assert failed.status == "failed"
    assert [(e["row"], e["column"]) for e in failed.result["errors"]] == [
        (2, "sku"), (3, "warehouse"), (4, "quantity")]
    with in_tenant("acme"):
        assert not StockMovement.objects.exists()


def test_a_count_the_stock_rules_refuse_is_reported_on_its_row(admin, run_jobs, in_tenant):
    with in_tenant("acme"):
        f.ProductFactory(sku="A-1")
        f.ProductFactory(sku="B-1")
        f.WarehouseFactory(code="MAIN")
        f.WarehouseFactory(code="OLD", is_active=False)  # stock may leave it, not enter it
    with run_jobs():
        response = upload(admin, "sku,warehouse,quantity\nA-1,MAIN,5\nB-1,OLD,0\nB-1,MAIN,1\n"
                                 "A-1,OLD,3\n", kind="stock")
    failed = job(in_tenant, response)
    assert failed.status == "failed"
    assert [(e["row"], e["column"]) for e in failed.result["errors"]] == [(5, "warehouse")]
    assert "inactive" in failed.result["errors"][0]["message"]
    with in_tenant("acme"):
        assert not StockMovement.objects.exists()


def test_non_utf8_files_are_refused_at_once(admin, in_tenant):
    response = upload(admin, "sku,name\nCAFÉ-1,Café crème\n".encode("latin-1"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_encoding"
    assert "line 2" in response.json()["error"]["message"]
    with in_tenant("acme"):
        assert not Job.objects.exists()


def test_a_utf8_file_with_a_byte_order_mark_is_fine(admin, run_jobs, in_tenant):
    with run_jobs():
        response = upload(admin, "\ufeffsku,name\nCAFÉ-1,Café crème\n".encode())
    assert response.status_code == 202, response.content
    with in_tenant("acme"):
        assert Product.objects.get(sku="CAFÉ-1").name == "Café crème"


@pytest.mark.parametrize("how", ["multipart", "text/csv"])
def test_files_over_the_limit_are_a_413(admin, settings, in_tenant, how):
    settings.MAX_IMPORT_BYTES = 100
    text = "sku,name\n" + "".join(f"S-{i},Name {i}\n" for i in range(20))
    if how == "multipart":
        response = upload(admin, text)
    else:
        response = admin.post("/api/v1/inventory/imports?kind=products", data=text.encode(),
                              content_type="text/csv")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    with in_tenant("acme"):
        assert not Job.objects.exists()


def test_a_csv_body_may_exceed_the_json_body_limit(admin, settings):
    # DATA_UPLOAD_MAX_MEMORY_SIZE bounds JSON and form bodies; CSV files have their own limit.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    text = "sku,name\n" + "".join(f"S-{i},Name {i}\n" for i in range(300))
    response = admin.post("/api/v1/inventory/imports?kind=products", data=text.encode(),
                          content_type="text/csv")
    assert response.status_code == 202, response.content


@pytest.mark.parametrize(("text", "code"), [
    ("", "invalid"),  # an empty upload: the form's file field says so
    ("sku,name\n", "invalid_file"),
    ("sku,title\nA,B\n", "invalid_header"),
    ("sku,name,name\nA,B,C\n", "invalid_header"),
    ("sku,name\nA,\x00\n", "invalid_file"),
])
def test_unusable_files_are_refused_with_a_reason(admin, text, code):
    response = upload(admin, text)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(("body", "field"), [({}, "kind"),
                                             ({"kind": "orders"}, "kind")])
def test_the_kind_of_import_is_required(admin, body, field):
    response = admin.post("/api/v1/inventory/imports", body, format="multipart")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_an_import_reports_progress(in_tenant):
    rows = "".join(f"P-{i},Product {i}\n" for i in range(1200))
    seen: list[tuple[int, int]] = []
    with in_tenant("acme"):
        import_job = Job.objects.create(kind="inventory.import_products",
                                        params={"kind": "products"},
                                        input_text="sku,name\n" + rows)
        csv_import_run(import_job, lambda done, total: seen.append((done, total)))
        assert Product.objects.count() == 1200
    assert seen == [(500, 1200), (1000, 1200)]


def test_export_of_products_downloads_as_csv_and_imports_again(admin, run_jobs, in_tenant):
    with in_tenant("acme"):
        tools = f.CategoryFactory(name="Tools")
        f.ProductFactory(sku="T-1", name="=HYPERLINK(\"http://x\")", category=tools, price="9.99")
        f.ProductFactory(sku="T-2", name="Saw, 18\"", is_active=False)
    with run_jobs():
        response = admin.post("/api/v1/inventory/exports", {"kind": "products"}, format="json")
    assert response.status_code == 202, response.content
    done = admin.get(response["Location"]).json()
    assert done["status"] == "succeeded" and done["result"] == {"rows": 2}
    assert done["has_output"] is True
    download = admin.get(f"{response['Location']}/download")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [(r["sku"], r["category"], r["price"], r["active"]) for r in rows] == [
        ("T-1", "Tools", "9.99", "true"), ("T-2", "", "4.00", "false")]
    # A name a spreadsheet would run as a formula is exported as text.
    assert rows[0]["name"] == "'=HYPERLINK(\"http://x\")"
    assert rows[1]["name"] == "Saw, 18\""

    with run_jobs():
        again = upload(admin, download.content)
    assert job(in_tenant, again).result["updated"] == 2


def test_export_of_stock_values_each_level(admin, run_jobs, in_tenant):
    with in_tenant("acme"):
        glue = f.ProductFactory(sku="GLUE", unit="kg", cost="3.10")
        main = f.WarehouseFactory(code="MAIN")
        f.receive(glue, main, "2.5")
    with run_jobs():
        response = admin.post("/api/v1/inventory/exports", {"kind": "stock"}, format="json")
    text = admin.get(f"{response['Location']}/download").content.decode()
    assert text.splitlines() == ["sku,name,warehouse,quantity,unit,cost,value",
                                 f"GLUE,{glue.name},MAIN,2.500,kg,3.10,7.75"]


@pytest.mark.parametrize("body", [{"kind": "orders"}, {}, {"kind": "stock", "format": "xlsx"}])
def test_bad_export_requests_are_400s(admin, body):
    response = admin.post("/api/v1/inventory/exports", body, format="json")
    assert response.status_code == 400
