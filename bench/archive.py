"""What retiring a tenant costs: ``tenant archive`` and ``tenant restore`` on a big tenant.

One tenant with a large catalog and a long stock ledger (products, levels and movements, the
biggest tables a real tenant grows), archived to a temporary directory and restored, several
times in turn. Reports seconds, rows/s and the archive's size; afterwards checks that the
restored tenant has every row it had before. Archiving keeps the tenant's tables locked against
writes from the start of the export to the drop, so its time is the tenant's write downtime.

    .venv/bin/python bench/archive.py [--quick]
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import _common as common

DATABASE = "saas_bench_archive"
SLUG = "bigarchive"


def setup_tenant(products: int, movements: int) -> str:
    """A provisioned tenant with ``products`` products, 3 warehouses and ``movements`` receipts
    (bulk-inserted: the ledger's services are measured by bench/api.py, not here)."""
    from django.core.management import call_command
    from django.test.utils import override_settings
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from tenant_apps.inventory.models import Product, StockLevel, StockMovement, Warehouse
    from tenants.provisioning import tenant_provision

    call_command("migrate_all", verbosity=0, stdout=io.StringIO())  # stdout: table + JSON
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        ctx = tenant_provision(slug=SLUG, name="Big Archive", owner_email="o@big.example",
                               owner_password="bench-password-1")
    rng = random.Random(3)
    with schema_context(ctx.tenant.schema_name):
        warehouses = Warehouse.objects.bulk_create(
            [Warehouse(code=f"W{i}", name=f"Warehouse {i}") for i in range(3)])
        items = Product.objects.bulk_create(
            [Product(sku=f"SKU-{i:06d}", name=f"Product {i} of the bench catalog",
                     description="A description, with commas, \"quotes\" and a\nline break.",
                     price=Decimal("9.99"), cost=Decimal("4.50")) for i in range(products)],
            batch_size=2000)
        now = timezone.now()
        totals: dict[tuple[int, int], int] = {}
        batch = []
        for n in range(movements):
            item, into = rng.choice(items), rng.choice(warehouses)
            quantity = rng.randint(1, 50)
            totals[(item.pk, into.pk)] = totals.get((item.pk, into.pk), 0) + quantity
            batch.append(StockMovement(kind="receipt", product=item, to_warehouse=into,
                                       quantity=quantity, reference=f"BENCH-{n}",
                                       occurred_at=now))
            if len(batch) == 5000:
                StockMovement.objects.bulk_create(batch)
                batch = []
        StockMovement.objects.bulk_create(batch)
        StockLevel.objects.bulk_create(
            [StockLevel(product_id=p, warehouse_id=w, quantity=q)
             for (p, w), q in totals.items()], batch_size=5000)
    return ctx.tenant.schema_name


def table_counts(schema: str) -> dict[str, int]:
    from django.db import connection

    from tenants.archive.pgcopy import tables

    q = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for table in tables(schema):
            cursor.execute(f"SELECT count(*) FROM {q(schema)}.{q(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def main() -> None:
    args = common.parse_args(__doc__.split("\n\n")[0])
    products, movements, rounds = (10_000, 50_000, 2) if args.quick else (20_000, 200_000, 3)
    started, load_before = common.utcnow(), os.getloadavg()
    command = ".venv/bin/python bench/archive.py" + (" --quick" if args.quick else "")

    with common.bench_environment([DATABASE]):
        common.django_setup()
        began = time.perf_counter()
        schema = setup_tenant(products, movements)
        common.log(f"tenant with {products:,} products and {movements:,} movements in "
                   f"{time.perf_counter() - began:.1f}s")
        from tenants.archive.services import tenant_archive, tenant_restore
        from tenants.services import tenant_activate

        before = table_counts(schema)
        rows = sum(before.values())
        archive_s, restore_s, sizes = [], [], []
        with tempfile.TemporaryDirectory(prefix="bench-archive-") as directory:
            for round_no in range(rounds):
                began = time.perf_counter()
                info = tenant_archive(slug=SLUG, directory=directory)
                archive_s.append(time.perf_counter() - began)
                sizes.append(info.path.stat().st_size)
                began = time.perf_counter()
                tenant_restore(archive=info.path)
                restore_s.append(time.perf_counter() - began)
                tenant_activate(slug=SLUG)
                Path(info.path).unlink()
                common.log(f"round {round_no + 1}/{rounds}: archive {archive_s[-1]:.2f}s, "
                           f"restore {restore_s[-1]:.2f}s, {sizes[-1] / 1e6:.1f} MB")
        after = table_counts(schema)
        pg_version = common.postgres_version(os.environ["DATABASE_URL"])

    archive_p50, restore_p50 = statistics.median(archive_s), statistics.median(restore_s)
    result = {
        "rows": rows,
        "tables": len(before),
        "archive_p50_s": round(archive_p50, 3),
        "restore_p50_s": round(restore_p50, 3),
        "archive_rows_per_s": round(rows / archive_p50),
        "restore_rows_per_s": round(rows / restore_p50),
        "archive_mb": round(statistics.median(sizes) / 1e6, 2),
        "rows_lost": sum(before.values()) - sum(after.get(t, 0) for t in before),
        "tables_differing": sorted(t for t in before if before[t] != after.get(t)),
        "rounds": rounds,
        "quick": args.quick,
    }
    table = common.format_table(
        ["step", "p50 s", "min s", "max s", "rows/s"],
        [["archive (export, verify, drop)", f"{archive_p50:.2f}", f"{min(archive_s):.2f}",
          f"{max(archive_s):.2f}", f"{rows / archive_p50:,.0f}"],
         ["restore (create, load, migrate)", f"{restore_p50:.2f}", f"{min(restore_s):.2f}",
          f"{max(restore_s):.2f}", f"{rows / restore_p50:,.0f}"]])
    summary = (f"{rows:,} rows in {len(before)} tables ({products:,} products, {movements:,} "
               f"movements); archive file {result['archive_mb']} MB; after {rounds} round(s) "
               f"{result['rows_lost']} row(s) lost, tables differing: "
               f"{result['tables_differing'] or 'none'}.")
    print(table)
    print()
    print(summary)
    print()
    if not args.no_doc:
        method = (
            f"`tenant_archive` then `tenant_restore` (then `tenant_activate`) in this process, "
            f"production settings, {rounds} rounds; archives written to a temporary directory "
            f"on the same disk; {pg_version}. Archiving holds the tenant's tables locked "
            "against writes from the start of the export to the drop.")
        common.write_section("Archive and restore (bench/archive.py)", "\n\n".join([
            common.run_header(command, started, load_before), method, table, summary,
            "Last line of output:", "    " + json.dumps(result, sort_keys=True)]))
    common.emit_result(result)


if __name__ == "__main__":
    main()
