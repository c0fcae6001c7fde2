"""CSV exports: the product catalog (in the columns the products import reads, so an export can
be edited and imported again) and stock per product and warehouse with its value. The file is
kept on the job (``output_text``) and downloaded from /api/v1/jobs/{id}/download."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable

from django.db.models import F
from django.utils import timezone

from tenant_apps.core.csv_cells import csv_safe
from tenant_apps.core.models import Job
from tenant_apps.core.services.jobs import Progress
from tenant_apps.inventory.models import Product, StockLevel

PRODUCTS = "products"
STOCK = "stock"
CHUNK = 2000

PRODUCT_COLUMNS = ["sku", "name", "description", "unit", "category", "barcode", "price", "cost",
                   "reorder_level", "active"]
STOCK_COLUMNS = ["sku", "name", "warehouse", "quantity", "unit", "cost", "value"]


def _product_rows() -> Iterable[list]:
    products = (Product.objects.order_by("sku", "id")
                .values_list("sku", "name", "description", "unit", "category__name", "barcode",
                             "price", "cost", "reorder_level", "is_active"))
    for sku, name, description, unit, category, barcode, price, cost, reorder, active in (
            products.iterator(chunk_size=CHUNK)):
        yield [csv_safe(sku), csv_safe(name), csv_safe(description), unit, csv_safe(category or ""),
               csv_safe(barcode), price, cost, reorder, "true" if active else "false"]


def _stock_rows() -> Iterable[list]:
    levels = (StockLevel.objects.filter(quantity__gt=0)
              .order_by("product__sku", "warehouse__code")
              .values_list("product__sku", "product__name", "warehouse__code", "quantity",
                           "product__unit", "product__cost")
              .annotate(value=F("quantity") * F("product__cost")))
    for sku, name, warehouse, quantity, unit, cost, value in levels.iterator(chunk_size=CHUNK):
        yield [csv_safe(sku), csv_safe(name), warehouse, quantity, unit, cost, round(value, 2)]


SOURCES: dict[str, tuple[list[str], Callable[[], Iterable[list]], Callable[[], int]]] = {
    PRODUCTS: (PRODUCT_COLUMNS, _product_rows, lambda: Product.objects.count()),
    STOCK: (STOCK_COLUMNS, _stock_rows, lambda: StockLevel.objects.filter(quantity__gt=0).count()),
}


def csv_export_run(job: Job, progress: Progress) -> dict:
    """The job handler (see tenant_apps.core.services.jobs.job_run)."""
    kind = job.params["kind"]
    columns, rows, count = SOURCES[kind]
    total = count()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    written = 0
    for row in rows():
        writer.writerow(row)
        written += 1
        if written % CHUNK == 0:
            progress(written, total)
    job.output_text = buffer.getvalue()
    job.output_name = f"{kind}-{timezone.now():%Y%m%d-%H%M}.csv"
    return {"rows": written}
