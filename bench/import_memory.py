"""Peak memory of a CSV import, per 100,000 rows.

A products import of N rows runs as the worker runs it (``job_run`` with the import handler, the
job's text loaded from its row) in a fresh Python process, whose peak resident set size
(``ru_maxrss``) is read afterwards: everything the process held at its worst, Django included,
as the issue measured it (100,000 rows once peaked at 472 MB, 235,000 rows at 863 MB). Each size
runs in its own process, in a database of its own on the embedded PostgreSQL.

    .venv/bin/python bench/import_memory.py [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import _common as common

DATABASE = "saas_bench_import"
TARGET_MB_PER_100K = 150

# Run in a child process: its ru_maxrss is the import's alone.
# Each step in a child process of its own: the job is created by one (as the web process
# creates it), run by another (as a worker's pool process runs it, given only the job's id), whose
# ru_maxrss is then the import's alone, not the file's making.
_CREATE = r"""
import os, sys
sys.path.insert(0, os.getcwd())
import django
django.setup()
from django_tenants.utils import schema_context
from tenant_apps.core.models import Job
from tenant_apps.inventory.models import Product

rows, schema = int(sys.argv[1]), sys.argv[2]
with schema_context(schema):
    Job.objects.all().delete()
    Product.objects.all().delete()
    # About 21 bytes a row, as the issue's file (235,000 rows in 5.18 MB): the most rows the
    # 5 MB limit (MAX_IMPORT_BYTES) lets through, so the most per-row cost per byte.
    text = "sku,name\n" + "".join(f"S{i:06d},Item {i:06d}\n" for i in range(rows))
    job = Job.objects.create(kind="inventory.import_products", params={"kind": "products"},
                             input_text=text)
print(job.pk, len(text))
"""

_RUN = r"""
import json, os, resource, sys, time
sys.path.insert(0, os.getcwd())
import django
django.setup()
from django_tenants.utils import schema_context
from tenant_apps.core.services.jobs import job_run
from tenant_apps.inventory.csv_import import csv_import_run
from tenant_apps.inventory.models import Product

job_id, schema = int(sys.argv[1]), sys.argv[2]
def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
with schema_context(schema):
    Product.objects.exists()  # connected, as a worker is
    before = rss_mb()
    started = time.perf_counter()
    job = job_run(job_id=job_id, handler=csv_import_run)
    seconds = time.perf_counter() - started
    assert job.status == "succeeded", (job.status, job.error)
    created = Product.objects.count()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"created": created, "seconds": seconds, "rss_before_mb": before,
                  "peak_mb": peak, "after_mb": rss_mb()}))
"""


def _child(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=common.ROOT,
                            env={**os.environ, "LOG_LEVEL": "WARNING"}, capture_output=True,
                            text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"{args}: failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1]


def measure(rows: int, schema: str) -> dict:
    job_id, size = _child(_CREATE, str(rows), schema).split()
    measured = json.loads(_child(_RUN, job_id, schema))
    assert measured["created"] == rows, measured
    return {"rows": rows, "bytes": int(size), **measured}


def setup_tenant() -> str:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from tenants.provisioning import tenant_provision

    call_command("migrate_all", verbosity=0)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        ctx = tenant_provision(slug="benchimport", name="Bench import",
                               owner_email="o@bench.example", owner_password="bench-password-1")
    connection.close()
    return ctx.tenant.schema_name


def run_sizes(sizes: list[int]) -> list[dict]:
    """Each size in a fresh process, in a fresh tenant of its own database; needs the bench
    environment (common.bench_environment) and Django set up."""
    schema = setup_tenant()
    results = []
    for rows in sizes:
        measured = measure(rows, schema)
        common.log(f"{rows:>7} rows: peak {measured['peak_mb']:.0f} MB RSS "
                   f"(before the import {measured['rss_before_mb']:.0f} MB), "
                   f"{measured['seconds']:.1f}s")
        results.append(measured)
    return results


def per_100k(result: dict) -> float:
    return result["peak_mb"] / (result["rows"] / 100_000)


def main() -> None:
    args = common.parse_args(__doc__.split("\n\n")[0])
    sizes = [50_000, 100_000] if args.quick else [50_000, 100_000, 235_000]
    started, load_before = common.utcnow(), os.getloadavg()
    command = ".venv/bin/python bench/import_memory.py" + (" --quick" if args.quick else "")
    with common.bench_environment([DATABASE]):
        common.django_setup()
        t0 = time.perf_counter()
        results = run_sizes(sizes)
        common.log(f"done in {time.perf_counter() - t0:.0f}s")
    at_100k = next(r for r in results if r["rows"] == 100_000)
    table = common.format_table(
        ["rows", "file MB", "seconds", "RSS before import MB", "peak RSS MB", "after MB"],
        [[r["rows"], r["bytes"] / 1e6, r["seconds"], r["rss_before_mb"], r["peak_mb"],
          r["after_mb"]] for r in results])
    print(table)
    result = {"import_peak_mb_per_100k_rows": round(per_100k(at_100k), 1),
              "import_peak_mb": {str(r["rows"]): round(r["peak_mb"], 1) for r in results},
              "target_mb_per_100k_rows": TARGET_MB_PER_100K}
    if not args.no_doc:
        body = "\n\n".join([
            common.run_header(command, started, load_before),
            "A products import of N rows (`sku,name`, about 21 bytes a row as in the issue's "
            "5.18 MB file of 235,000 rows; every row a new product) run as the "
            "worker runs it (`job_run` with the import handler) in a fresh process; peak RSS is "
            "the process's `ru_maxrss`, Django and the job's text included. Before the import "
            "streamed, the issue measured 472 MB for 100,000 rows and 863 MB for 235,000 (in a "
            "worker's pool process); this script with the previous `csv_import.py` measured "
            "151 MB for 50,000 rows and 227 MB for 100,000 (about 15 % faster: one pass over "
            "the file instead of three).",
            table,
            f"Peak per 100,000 rows: **{result['import_peak_mb_per_100k_rows']} MB** "
            f"(target < {TARGET_MB_PER_100K} MB)."])
        common.write_section("CSV import memory (bench/import_memory.py)", body)
    common.emit_result(result)


if __name__ == "__main__":
    main()
