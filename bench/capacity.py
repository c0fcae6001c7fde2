"""What one PostgreSQL holding N tenant schemas costs: the figures of docs/capacity.md that
bench/fleet.py does not measure, on a fleet built the same way.

On a private embedded PostgreSQL (pgserver in a temporary directory, removed afterwards): N
tenants of today's schema (the first 100 provisioned one at a time, the rest by ``--fill-jobs``
processes, the last 50 one at a time again), then

* ``cold_provision_p50_first100_ms`` / ``cold_provision_p50_last50_ms`` and
  ``pool_provision_p50_ms`` (20 claims from a pool of ready schemas);
* ``route_first_ms`` / ``route_last_ms``  resolving a host that is not cached (the registry
  lookup a web process does once per host) for the first and the last tenant created, p50 of
  50, and ``request_first_ms`` / ``request_last_ms``: that plus switching the connection to the
  tenant and reading a row of one of its tables (what routing adds to a request's first query);
* ``noop_s`` / ``addfield_s``  ``migrate_all`` with nothing to do and with one AddField;
* ``archive_s`` / ``restore_s`` / ``archive_mb``  archive (export and drop) and restore of one
  tenant with the demo data (tenants.archive);
* ``pg_dump_s`` / ``pg_dump_mb``  ``pg_dump -Fc`` of the whole database;
* ``pg_class_rows`` / ``database_mb``  the catalog and the database;
* ``backend_rss_mb_max``  one backend reading every table of each tenant in turn, recycled after
  TENANT_CONNECTION_MAX_SCHEMAS schemas (as bench/fleet.py);
* ``web_rss_mb_max_recycled`` / ``web_rss_mb_max_unbounded``  the backend of ONE web process's
  connection (the platform's database wrapper, persistent connections, Django's request-start
  and request-end connection checks) serving page-sized requests (session, user, workspace
  settings, a page of products with its count and stock) rotating over every tenant, with the
  shipped TENANT_CONNECTION_MAX_SCHEMAS and without it; ``celery_rss_mb_max_*`` the same for a
  worker running the job sweeper in every tenant in turn (a fan-out), with the checks Celery's
  Django fix-up runs after each task. The curves (schemas served -> MB) go to stderr.

    .venv/bin/python bench/capacity.py [--quick | --tenants N] [--fill-jobs N]

``--quick``: 100 tenants. Default: 1,000.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as common
import fleet

SAMPLES = 50


def _arguments(parser) -> None:
    parser.add_argument("--tenants", type=int, default=None,
                        help="tenants (default 1,000; --quick 100)")
    parser.add_argument("--fill-jobs", type=int, default=2,
                        help="processes provisioning the tenants between the first 100 and the "
                             "last 50 (default 2)")


def _provision_one(slug: str) -> float:
    from tenants.provisioning import tenant_provision

    started = time.perf_counter()
    tenant_provision(slug=slug, name=slug, owner_email=f"o@{slug}.example")
    return (time.perf_counter() - started) * 1000


def _routing(first: str, last: str) -> dict:
    """Interleaved (first, last, first, ...), so that a busy moment of the machine falls on both."""
    from django.db import connection

    from tenants.routing import host_router

    def cold(host: str) -> None:
        host_router.clear_local()
        assert host_router.resolve(host).tenant is not None

    def request(host: str) -> None:
        host_router.clear_local()
        connection.set_tenant(host_router.resolve(host).tenant)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM core_workspacesettings LIMIT 1")
            cursor.fetchall()
        connection.set_schema_to_public()

    samples: dict[str, list[float]] = {}
    for _ in range(SAMPLES):
        for label, slug in (("first", first), ("last", last)):
            host = f"{slug}.{common.BASE_DOMAIN}"
            for kind, fn in (("route", cold), ("request", request)):
                started = time.perf_counter()
                fn(host)
                samples.setdefault(f"{kind}_{label}_ms", []).append(
                    (time.perf_counter() - started) * 1000)
    return {key: round(statistics.median(values), 2) for key, values in samples.items()}


def _archive_restore(slug: str, archive_dir: Path) -> dict:
    from django_tenants.utils import schema_context

    from tenant_apps.inventory.demo import seed
    from tenants.archive.services import recorded_archive, tenant_archive, tenant_restore
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=slug)
    with schema_context(tenant.schema_name):
        seed()
    started = time.perf_counter()
    info = tenant_archive(slug=slug, directory=archive_dir)
    archived = time.perf_counter() - started
    started = time.perf_counter()
    tenant_restore(archive=recorded_archive(slug=slug))
    restored = time.perf_counter() - started
    return {"archive_s": round(archived, 2), "restore_s": round(restored, 2),
            "archive_mb": round(info.path.stat().st_size / 2**20, 2)}


def _pg_dump(socket_dir: str, target: Path) -> dict:
    import pgserver

    binary = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"
    # Bounded: with thousands of schemas a whole-database dump can outlast the run's budget;
    # the figure is then "more than this".
    limit = float(os.environ.get("BENCH_PG_DUMP_TIMEOUT", "900"))
    started = time.perf_counter()
    try:
        done = subprocess.run([str(binary), "-h", socket_dir, "-U", "postgres", "-Fc", "-f",
                               str(target), "saas_bench_fleet"], capture_output=True, text=True,
                              timeout=limit)
    except subprocess.TimeoutExpired:
        target.unlink(missing_ok=True)
        common.log(f"pg_dump still running after {limit:.0f}s: stopped")
        return {"pg_dump_s": None, "pg_dump_error": f"not finished after {limit:.0f} s"}
    took = time.perf_counter() - started
    if done.returncode:
        # pg_dump locks every table and sequence in one transaction: past
        # max_locks_per_transaction x max_connections of them (6,400 by default, a little over
        # 100 tenants) it fails with "out of shared memory". Say so, go on.
        error = (done.stderr.strip().splitlines() or ["?"])[0]
        common.log(f"pg_dump failed after {took:.0f}s: {done.stderr.strip()}")
        target.unlink(missing_ok=True)
        return {"pg_dump_s": None, "pg_dump_error": error[:200]}
    size = target.stat().st_size
    target.unlink()
    return {"pg_dump_s": round(took, 1), "pg_dump_mb": round(size / 2**20, 1)}


def main() -> None:
    args = common.parse_args(__doc__.splitlines()[0], _arguments)
    count = args.tenants or (100 if args.quick else 1000)
    import pgserver

    tmp = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
    server = pgserver.get_server(tmp / "pg", cleanup_mode="delete")
    server.psql("CREATE DATABASE saas_bench_fleet;")
    socket_dir = server.get_postmaster_info().socket_dir
    package = tmp / "capacity_probe_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp))
    from devtools.services import ensure_redis

    os.environ.update(
        DATABASE_URL=f"postgres://postgres@/{socket_dir}/saas_bench_fleet",
        REDIS_URL=common.with_redis_db(ensure_redis(),
                                       common.bench_redis_db("saas_bench_capacity")),
        FLEET_PROBE_MIGRATIONS="capacity_probe_migrations", TENANT_POOL_SIZE="0",
        BASE_DOMAIN=common.BASE_DOMAIN, LOG_LEVEL="WARNING", CONN_MAX_AGE="3600",
        TENANT_ARCHIVE_DIR=str(tmp / "archives"))
    previous = fleet._migration(package, 1, "initial", None, """
        migrations.CreateModel("Thing", [
            ("id", models.BigAutoField(primary_key=True, serialize=False)),
            ("name", models.CharField(max_length=50))]),""")
    common.django_setup("saas_platform.settings.test")
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from tenants.fleet.pool import pool_fill

    result: dict = {"tenants": count}
    run_started, load_before = common.utcnow(), os.getloadavg()
    try:
        call_command("migrate_all", verbosity=0)
        pool_size = 20
        fleet_size = count - pool_size
        first = [_provision_one(f"fleet{i:05d}") for i in range(min(100, fleet_size))]
        common.log(f"first {len(first)} tenants, cold p50 {statistics.median(first):.0f} ms")
        bulk = range(len(first), max(len(first), fleet_size - SAMPLES))
        if len(bulk):
            fleet._fill_parallel(bulk, args.fill_jobs, server)
        last = [_provision_one(f"fleet{i:05d}") for i in range(bulk.stop, fleet_size)]
        pooled = []
        with override_settings(TENANT_POOL_SIZE=pool_size):
            pool_fill()
            for i in range(pool_size):
                slug = f"pooled{i:03d}"
                started = time.perf_counter()
                from tenants.provisioning import tenant_provision

                assert tenant_provision(slug=slug, name=slug,
                                        owner_email=f"o@{slug}.example").from_pool
                pooled.append((time.perf_counter() - started) * 1000)
        result.update(
            cold_provision_p50_first100_ms=round(statistics.median(first), 1),
            cold_provision_p50_last50_ms=round(statistics.median(last or first), 1),
            pool_provision_p50_ms=round(statistics.median(pooled), 1), fill_jobs=args.fill_jobs)
        fleet._partial(result)

        result.update(_routing("fleet00000", f"fleet{fleet_size - 1:05d}"))
        out = io.StringIO()
        result["noop_s"] = round(fleet._timed(lambda: call_command(
            "migrate_all", verbosity=0, stdout=out)), 2)
        fleet._migration(package, 2, "weight", previous,
                         'migrations.AddField("thing", "weight", models.IntegerField(null=True)),')
        result["addfield_s"] = round(fleet._timed(lambda: call_command(
            "migrate_all", verbosity=0, stdout=out)), 2)
        fleet._partial(result)
        result.update(_catalog_and_dump(socket_dir, tmp))
        result.update(_archive_restore(f"fleet{fleet_size // 2:05d}", tmp / "archives"))
        fleet._partial(result)
        result.update(_rotation_rss())
        fleet._partial(result)
        rss = fleet._backend_rss(socket_dir)
        result["backend_rss_mb_max"] = rss["backend_rss_mb_max_recycled"]
        result["backend_rss_mb_unbounded"] = rss["backend_rss_mb_max_unbounded"]
        result["backend_rss_schemas_unbounded"] = rss["backend_rss_schemas_unbounded"]
    finally:
        connection.close()
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    body = common.format_table(["measure", "value"], sorted(result.items()))
    print(body)
    if not args.no_doc:
        common.write_section(f"Capacity ({count} tenants, bench/capacity.py)", "\n".join([
            common.run_header(f"bench/capacity.py --tenants {count}", run_started,
                              load_before), "", body]))
    common.emit_result(result)


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("RssAnon:"))) / 1024


def _page_queries(cursor) -> None:
    cursor.execute("SELECT session_data FROM django_session WHERE session_key = %s "
                   "AND expire_date > now()", ["x" * 32])
    cursor.execute("SELECT id, email, role FROM accounts_user ORDER BY id LIMIT 1")
    cursor.execute("SELECT display_name, time_zone FROM core_workspacesettings ORDER BY id LIMIT 1")
    cursor.execute("SELECT count(*) FROM inventory_product WHERE is_active")
    cursor.execute("SELECT id, sku, name FROM inventory_product WHERE is_active "
                   "ORDER BY name, id LIMIT 25")
    ids = [row[0] for row in cursor.fetchall()] or [0]
    cursor.execute("SELECT product_id, sum(quantity) FROM inventory_stocklevel "
                   "WHERE product_id = ANY(%s) GROUP BY product_id", [ids])


def _sweep_queries(cursor) -> None:
    from tenant_apps.core.services.jobs import jobs_outstanding, jobs_sweep

    jobs_sweep()
    jobs_outstanding()
    cursor.execute("DELETE FROM django_session WHERE expire_date < now()")


def _rotation_rss() -> dict:
    """A web process's and a Celery worker's backend memory while serving every tenant in turn,
    with the shipped recycling and without it."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    from tenants.models import Tenant

    schemas = list(Tenant.objects.order_by("pk").values_list("schema_name", flat=True))
    limit = settings.TENANT_CONNECTION_MAX_SCHEMAS
    out = {}
    for who, work in (("web", _page_queries), ("celery", _sweep_queries)):
        for label, max_schemas in (("recycled", limit), ("unbounded", 10**9)):
            connection.close()
            peak, curve, backends = 0.0, [], set()
            with override_settings(TENANT_CONNECTION_MAX_SCHEMAS=max_schemas):
                for index, schema in enumerate(schemas[:fleet.UNBOUNDED_SCHEMAS]
                                               if label == "unbounded" else schemas):
                    connection.close_if_unusable_or_obsolete()  # request / task start
                    connection.set_schema(schema)
                    with connection.cursor() as cursor:
                        work(cursor)
                    backends.add(connection.connection.info.backend_pid)
                    pid = connection.connection.info.backend_pid
                    if index % 50 == 49 or index == len(schemas) - 1:
                        rss = _rss_mb(pid)
                        peak = max(peak, rss)
                        curve.append((index + 1, round(rss, 1)))
                    connection.set_schema_to_public()
                    connection.close_if_unusable_or_obsolete()  # request / task end
            out[f"{who}_rss_mb_max_{label}"] = round(peak, 1)
            out[f"{who}_backends_{label}"] = len(backends)
            common.log(f"{who} backend RSS ({label}, schemas served -> MB): "
                       f"{curve[:: max(1, len(curve) // 12)]}")
    connection.close()
    return out


def _catalog_and_dump(socket_dir: str, tmp: Path) -> dict:
    out = fleet._catalog_size()
    out.update(_pg_dump(socket_dir, tmp / "whole.dump"))
    return out


if __name__ == "__main__":
    main()
