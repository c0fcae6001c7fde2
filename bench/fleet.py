"""The fleet at scale: plan-once ``migrate_all`` against django-tenants' ``migrate_schemas`` on the
same schemas, pool vs cold provisioning, and a PostgreSQL backend's memory over many schemas.

On a private embedded PostgreSQL (pgserver in a temporary directory, removed afterwards), so it
disturbs no one: N tenants provisioned (the last 50 from the pool), then

* ``noop_s``         ``migrate_all`` with nothing to do (in-process, graph load included);
* ``addfield_s``     ``migrate_all`` of one AddField on a tenant-app table;
* ``dt_noop_s``      django-tenants' ``migrate_schemas`` (standard executor) with nothing to do;
* ``dt_addfield_s``  django-tenants' ``migrate_schemas`` of one AddField: the faster of its
                     standard and multiprocessing executors (both reported);
* ``pool_provision_p50_ms`` / ``cold_provision_p50_ms``  ``tenant_provision`` with / without a
                     ready schema (owner invited, no password hashed);
* ``backend_rss_mb_max``  one backend's private memory (RssAnon) reading every table of each
                     tenant in turn (a worst-case request), reconnecting after
                     TENANT_CONNECTION_MAX_SCHEMAS schemas as the web workers do.

The AddFields go to the ``probe`` test app (tests/fleet/probe, migrations written to a temporary
package), installed with the test settings, so the real apps' migrations are untouched.

    .venv/bin/python bench/fleet.py [--quick | --tenants 10000] [--fill-jobs N] [--dt-sample N]

At 10,000 tenants a sequential run takes hours on a 2-core machine (provisioning alone ~0.2-0.5 s
per tenant; django-tenants ~0.25-0.6 s per schema per command), so two options shorten it, both
reported in the JSON: ``--fill-jobs N`` provisions the tenants between the first and the last
100 (which are always provisioned one at a time and give the cold p50 figures) from N processes,
with fsync off on the throwaway cluster while they run (on again, after a checkpoint, before
anything is timed);
``--dt-sample N`` runs django-tenants' ``migrate_schemas`` on N of the schemas only and
extrapolates linearly to the fleet (``dt_*_s`` then say ``dt_sample_tenants``; its per-schema
cost does not fall with fleet size, so the extrapolation favours django-tenants if anything).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _common as common

POOL_SAMPLES = 50
UNBOUNDED_SCHEMAS = 2000


def _partial(result: dict) -> None:
    # A long run's figures so far, on stderr: a run stopped before the end still tells something.
    common.log(f"partial {json.dumps(result, sort_keys=True)}")


def _fill_one_slice(slugs: list[str]) -> None:
    from django.db import connection

    from tenants.provisioning import tenant_provision

    connection.close()  # the parent's socket is not ours to share
    for slug in slugs:
        tenant_provision(slug=slug, name=slug, owner_email=f"o@{slug}.example")
    connection.close()


def _durability(server, on: bool) -> None:
    """The throwaway cluster's crash safety off while the untimed bulk fill runs (each tenant
    is ~250 new relation files, and every checkpoint fsyncs each one), back on (and a
    checkpoint taken) before anything is measured."""
    value = "on" if on else "off"
    for name in ("fsync", "synchronous_commit", "full_page_writes"):
        server.psql(f"ALTER SYSTEM SET {name} = {value};")
    server.psql("SELECT pg_reload_conf();")
    if on:
        server.psql("CHECKPOINT;")


def _fill_parallel(indexes: range, jobs: int, server=None) -> None:
    """Provision fleet tenants ``indexes`` from ``jobs`` forked processes (not timed: the cold
    p50 comes from the tenants provisioned one at a time before and after)."""
    from django.db import connections

    connections.close_all()
    if server is not None:
        _durability(server, on=False)
    try:
        _fill_processes(indexes, jobs)
    finally:
        if server is not None:
            _durability(server, on=True)


def _fill_processes(indexes: range, jobs: int) -> None:
    slugs = [f"fleet{i:05d}" for i in indexes]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for done, _ in enumerate(pool.imap_unordered(
                _fill_one_slice, [slugs[k:k + 50] for k in range(0, len(slugs), 50)]), 1):
            if done % 20 == 0:
                common.log(f"fill: {100 + done * 50} tenants, "
                           f"{done * 50 / (time.perf_counter() - started):.1f}/s")
    common.log(f"fill: {len(slugs)} tenants by {jobs} processes in "
               f"{time.perf_counter() - started:.0f}s")


def _dt_sample(sample: int, result: dict):
    """(scale, context): django-tenants on every schema, or on ``sample`` of them (spread over
    the fleet) with its times scaled up linearly."""
    import contextlib
    from unittest import mock

    from tenants.models import Tenant

    total = Tenant.objects.count()
    if not sample or sample >= total:
        return 1.0, contextlib.nullcontext()
    schemas = list(Tenant.objects.order_by("pk").values_list("schema_name", flat=True))
    chosen = schemas[:: max(1, len(schemas) // sample)][:sample]
    result["dt_sample_tenants"] = len(chosen)
    only = type("SampleTenants", (), {"objects": Tenant.objects.filter(schema_name__in=chosen)})

    class _Sampled:
        # migrate_schemas lists tenants through get_tenant_model().objects: that, narrowed.
        def __enter__(self):
            self._patch = mock.patch(
                "django_tenants.management.commands.migrate_schemas.get_tenant_model",
                return_value=only)
            self._patch.start()

        def __exit__(self, *exc):
            self._patch.stop()

    return total / len(chosen), _Sampled()


def _migration(package: Path, number: int, name: str, previous: str | None, ops: str) -> str:
    full = f"{number:04d}_{name}"
    deps = f'[("probe", "{previous}")]' if previous else "[]"
    (package / f"{full}.py").write_text(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        f"    dependencies = {deps}\n    operations = [{ops}]\n")
    return full


def _clear_caches() -> None:
    from tenants import migration_state
    from tenants.fleet import status

    status.expected_migrations.cache_clear()
    migration_state._expected.cache_clear()


def _timed(fn) -> float:
    _clear_caches()
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _arguments(parser) -> None:
    parser.add_argument("--tenants", type=int, default=None,
                        help="tenants (default 1,000; --quick 300)")
    parser.add_argument("--fill-jobs", type=int, default=1,
                        help="processes provisioning the tenants between the first and last "
                             "100 (default 1: all one at a time)")
    parser.add_argument("--capacity", action="store_true",
                        help="also take bench/capacity.py's measurements on the same fleet "
                             "(routing first vs last, archive/restore, pg_dump, web and Celery "
                             "backend memory): one fleet build for docs/capacity.md")
    parser.add_argument("--dt-sample", type=int, default=0,
                        help="run django-tenants on this many schemas only and extrapolate "
                             "(default 0: on all)")


def main() -> None:
    args = common.parse_args(__doc__.splitlines()[0], _arguments)
    count = args.tenants or (300 if args.quick else 1000)
    import pgserver

    tmp = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    server = pgserver.get_server(tmp / "pg", cleanup_mode="delete")
    server.psql("CREATE DATABASE saas_bench_fleet;")
    socket_dir = server.get_postmaster_info().socket_dir
    package = tmp / "fleet_probe_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp))
    from devtools.services import ensure_redis

    os.environ.update(
        DATABASE_URL=f"postgres://postgres@/{socket_dir}/saas_bench_fleet",
        REDIS_URL=common.with_redis_db(ensure_redis(), common.bench_redis_db("saas_bench_fleet")),
        FLEET_PROBE_MIGRATIONS="fleet_probe_migrations", TENANT_POOL_SIZE="0",
        BASE_DOMAIN=common.BASE_DOMAIN, LOG_LEVEL="WARNING",
        TENANT_ARCHIVE_DIR=str(tmp / "archives"))
    if args.capacity:
        os.environ["CONN_MAX_AGE"] = "3600"  # as capacity.py: the web process's persistent link
    previous = _migration(package, 1, "initial", None, """
        migrations.CreateModel("Thing", [
            ("id", models.BigAutoField(primary_key=True, serialize=False)),
            ("name", models.CharField(max_length=50))]),""")
    common.django_setup("saas_platform.settings.test")
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from tenants.fleet.pool import pool_fill
    from tenants.provisioning import tenant_provision

    result: dict = {"tenants": count}
    try:
        started = time.perf_counter()
        call_command("migrate_all", verbosity=0)
        common.log(f"public and template migrated in {time.perf_counter() - started:.1f}s")
        cold: list[float] = []
        fleet = count - POOL_SAMPLES
        bulk = range(100, fleet - 100) if args.fill_jobs > 1 and fleet > 300 else range(0)
        for i in range(fleet):
            if i in bulk:
                if i == bulk.start:
                    _fill_parallel(bulk, args.fill_jobs, server)
                    result["fill_jobs"] = args.fill_jobs
                continue
            slug = f"fleet{i:05d}"
            t0 = time.perf_counter()
            tenant_provision(slug=slug, name=slug, owner_email=f"o@{slug}.example")
            cold.append((time.perf_counter() - t0) * 1000)
            if i % 100 == 99:
                common.log(f"{i + 1} tenants, last cold p50 "
                           f"{statistics.median(cold[-100:]):.0f} ms")
        pooled: list[float] = []
        with override_settings(TENANT_POOL_SIZE=POOL_SAMPLES):
            pool_fill()
            for i in range(POOL_SAMPLES):
                slug = f"pooled{i:03d}"
                t0 = time.perf_counter()
                ctx = tenant_provision(slug=slug, name=slug, owner_email=f"o@{slug}.example")
                pooled.append((time.perf_counter() - t0) * 1000)
                assert ctx.from_pool
        result["cold_provision_p50_ms"] = round(statistics.median(cold), 1)
        result["cold_provision_p50_first100_ms"] = round(statistics.median(cold[:100]), 1)
        result["cold_provision_p50_last100_ms"] = round(statistics.median(cold[-100:]), 1)
        result["pool_provision_p50_ms"] = round(statistics.median(pooled), 1)
        _partial(result)

        out = io.StringIO()
        result["noop_s"] = round(_timed(lambda: call_command("migrate_all", verbosity=0,
                                                             stdout=out)), 2)
        dt_scale, dt_tenants = _dt_sample(args.dt_sample, result)
        with dt_tenants:
            result["dt_noop_s"] = round(dt_scale * _timed(lambda: call_command(
                "migrate_schemas", interactive=False, verbosity=0, stdout=out)), 2)
        common.log(f"noop: ours {result['noop_s']}s, django-tenants {result['dt_noop_s']}s")

        previous = _migration(package, 2, "weight", previous,
                              'migrations.AddField("thing", "weight", '
                              "models.IntegerField(null=True)),")
        result["addfield_s"] = round(_timed(lambda: call_command(
            "migrate_all", verbosity=0, stdout=out)), 2)
        common.log(f"addfield: ours {result['addfield_s']}s")
        _partial(result)
        previous = _migration(package, 3, "size", previous,
                              'migrations.AddField("thing", "size", '
                              "models.IntegerField(null=True)),")
        with dt_tenants:
            result["dt_addfield_standard_s"] = round(dt_scale * _timed(lambda: call_command(
                "migrate_schemas", interactive=False, verbosity=0, stdout=out)), 2)
        common.log(f"addfield: django-tenants standard {result['dt_addfield_standard_s']}s")
        previous = _migration(package, 4, "colour", previous,
                              'migrations.AddField("thing", "colour", '
                              "models.CharField(max_length=10, default='red')),")
        connection.close()
        with dt_tenants, override_settings(
                TENANT_MULTIPROCESSING_MAX_PROCESSES=os.cpu_count() or 2):
            result["dt_addfield_multiprocessing_s"] = round(dt_scale * _timed(lambda: call_command(
                "migrate_schemas", interactive=False, verbosity=0, executor="multiprocessing",
                stdout=out)), 2)
        common.log(f"addfield: django-tenants multiprocessing "
                    f"{result['dt_addfield_multiprocessing_s']}s")
        result["dt_addfield_s"] = min(result["dt_addfield_standard_s"],
                                      result["dt_addfield_multiprocessing_s"])
        result["speedup_addfield"] = round(result["dt_addfield_s"] / result["addfield_s"], 1)
        _partial(result)
        result.update(_backend_rss(socket_dir))
        result.update(_catalog_size())
        if args.capacity:
            _partial(result)
            _capacity(result, server, socket_dir, tmp, count - POOL_SAMPLES)
    finally:
        connection.close()
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    body = common.format_table(["measure", "value"], sorted(result.items()))
    print(body)
    if not args.no_doc:
        common.write_section(f"Fleet ({count} tenants)", "\n".join([
            common.run_header(f"bench/fleet.py --tenants {count}", common.utcnow(),
                              os.getloadavg()), "", body]))
    common.emit_result(result)


def _backend_rss(socket_dir: str) -> dict:
    """One backend's private memory as it runs request-sized queries in every tenant in turn,
    with and without recycling after TENANT_CONNECTION_MAX_SCHEMAS schemas."""
    import psycopg
    from django.conf import settings
    from django.db import connection

    from tenants.models import Tenant

    schemas = list(Tenant.objects.values_list("schema_name", flat=True))
    with connection.cursor() as cursor:  # every table of a tenant: the worst case per request
        cursor.execute("SELECT quote_ident(relname) FROM pg_class WHERE relkind = 'r' "
                       "AND relnamespace = 'tenant_template'::regnamespace")
        tables = [row[0] for row in cursor.fetchall()]
    out = {}
    # Without recycling, at most UNBOUNDED_SCHEMAS: the growth is linear (~0.6 MB per schema),
    # and 10,000 schemas would take one backend to ~6 GB on a shared machine.
    for label, limit, sweep in (
            ("recycled", settings.TENANT_CONNECTION_MAX_SCHEMAS, schemas),
            ("unbounded", len(schemas) + 1, schemas[:UNBOUNDED_SCHEMAS])):
        peak, conn, served, curve = 0.0, None, 0, []
        for index, schema in enumerate(sweep):
            if conn is None or served >= limit:
                if conn is not None:
                    conn.close()
                # No prepared statements: the same text names a different table per schema
                # (and django-tenants' sampled AddFields leave the schemas unalike).
                conn = psycopg.connect(host=socket_dir, user="postgres",
                                       dbname="saas_bench_fleet", autocommit=True,
                                       prepare_threshold=None)
                pid = conn.info.backend_pid
                served = 0
            conn.execute(f'SET search_path = "{schema}"')
            for table in tables:
                conn.execute(f"SELECT * FROM {table} LIMIT 1")  # noqa: S608
            served += 1
            if index % 50 == 49 or index == len(sweep) - 1:
                status = Path(f"/proc/{pid}/status").read_text()
                rss = int(next(line.split()[1] for line in status.splitlines()
                               if line.startswith("RssAnon:"))) / 1024
                peak = max(peak, rss)
                curve.append((index + 1, round(rss, 1)))
        conn.close()
        out[f"backend_rss_mb_max_{label}"] = round(peak, 1)
        out[f"backend_rss_schemas_{label}"] = len(sweep)
        common.log(f"backend RSS ({label}): {curve[:: max(1, len(curve) // 10)]}")
    out["backend_rss_mb_max"] = out["backend_rss_mb_max_recycled"]
    return out


def _capacity(result: dict, server, socket_dir: str, tmp: Path, fleet_size: int) -> None:
    """bench/capacity.py's figures on this fleet; a whole-database pg_dump that runs out of
    lock slots is retried once with max_locks_per_transaction raised to fit (what an operator
    would have to configure), both reported."""
    import capacity
    from django.db import connection
    from pgserver._commands import pg_ctl

    result.update(capacity._routing("fleet00000", f"fleet{fleet_size - 1:05d}"))
    _partial(result)
    result.update(capacity._archive_restore(f"fleet{fleet_size // 2:05d}", tmp / "archives"))
    _partial(result)
    result.update(capacity._rotation_rss())
    _partial(result)
    dump = capacity._pg_dump(socket_dir, tmp / "whole.dump")
    result.update(dump)
    if dump.get("pg_dump_s") is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT (SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'S', "
                           "'p', 'v', 'm', 'f')), current_setting('max_connections')::int")
            objects, max_connections = cursor.fetchone()
        locks = objects // max_connections + 64
        connection.close()
        server.psql(f"ALTER SYSTEM SET max_locks_per_transaction = {locks};")
        pg_ctl(["-w", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=120)
        retry = capacity._pg_dump(socket_dir, tmp / "whole.dump")
        result["pg_dump_raised_max_locks_per_transaction"] = locks
        result["pg_dump_raised_s"] = retry.get("pg_dump_s")
        result["pg_dump_raised_mb"] = retry.get("pg_dump_mb")


def _catalog_size() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class")
        rows = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    return {"pg_class_rows": rows, "database_mb": round(size / 2**20, 1)}


if __name__ == "__main__":
    main()
