"""Item 7 of the fault issue: the CSV import's memory is flat in the number of rows. A
235,000-row import once peaked at 863 MB: every parsed row and model instance was held at once.

Measured with tracemalloc (the Python allocations the import makes, deterministic), not the
process's RSS, which other tests and the allocator's caching move; bench/import_memory.py
measures RSS per 100,000 rows for docs/benchmarks.md."""

from __future__ import annotations

import tracemalloc

import pytest

from tenant_apps.core.models import Job
from tenant_apps.inventory.csv_import import csv_import_run
from tenant_apps.inventory.models import Product, StockLevel
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db

# Two sizes: the growth between them is what each further row costs, the fixed part (a chunk of
# model instances, Django's own caches) cancels out.
SMALL, LARGE = 3_000, 9_000


def _peak_bytes_of(job: Job) -> int:
    tracemalloc.start()
    try:
        csv_import_run(job, lambda done, total: None)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _bytes_per_further_row(make_job) -> float:
    small, large = _peak_bytes_of(make_job(SMALL)), _peak_bytes_of(make_job(LARGE))
    return (large - small) / (LARGE - SMALL)


def test_a_products_import_does_not_hold_every_row(in_tenant):
    def make_job(rows: int) -> Job:
        text = "sku,name,unit,category,price\n" + "".join(
            f"SKU-{rows}-{i},Product number {i},pcs,Category {i % 50},{i % 997}.25\n"
            for i in range(rows))
        job = Job.objects.create(kind="inventory.import_products", params={"kind": "products"},
                                 input_text=text)
        return Job.objects.defer("input_text").get(pk=job.pk)  # read from the row, streamed

    with in_tenant("acme"):
        per_row = _bytes_per_further_row(make_job)
        assert Product.objects.count() == SMALL + LARGE
    # What grows with the file is the set of SKUs seen (for repeated-SKU errors) and the
    # catalog's SKU map: a couple of hundred bytes a row, not the kilobytes that a held dict of
    # cells and a model instance per row took.
    assert per_row < 500, f"{per_row:.0f} bytes per further row"


def test_a_stock_import_does_not_hold_every_row(in_tenant):
    with in_tenant("acme"):
        f.WarehouseFactory(code="MAIN")
        Product.objects.bulk_create([Product(sku=f"S-{i}", name=f"P {i}")
                                     for i in range(LARGE)])

        def make_job(rows: int) -> Job:
            text = "sku,warehouse,quantity\n" + "".join(f"S-{i},MAIN,{i % 90 + rows}\n"
                                                        for i in range(rows))
            return Job.objects.create(kind="inventory.import_stock", params={"kind": "stock"},
                                      input_text=text)

        per_row = _bytes_per_further_row(make_job)
        assert StockLevel.objects.count() == LARGE
    assert per_row < 500, f"{per_row:.0f} bytes per further row"


def test_a_field_too_large_for_csv_is_reported_on_its_row_not_a_crash(in_tenant):
    text = "sku,name\nA-1,Fine\nA-2," + "x" * 200_000 + "\nA-3,Fine\n"
    with in_tenant("acme"):
        job = Job.objects.create(kind="inventory.import_products", params={"kind": "products"},
                                 input_text=text)
        with pytest.raises(Exception, match="problem") as failed:
            csv_import_run(job, lambda done, total: None)
        assert failed.typename == "JobFailed"
        assert [e["row"] for e in job.result["errors"]] == [3]
        assert "field larger than field limit" in job.result["errors"][0]["message"]
        assert not Product.objects.filter(sku__startswith="A-").exists()


def test_celery_pool_processes_are_recycled():
    from saas_platform.celery import app

    # A process that grew (a big task, fragmentation) is replaced rather than kept for good.
    assert 0 < app.conf.worker_max_memory_per_child <= 500_000  # KiB
    assert app.conf.worker_max_tasks_per_child > 0
