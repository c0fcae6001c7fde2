"""How long provisioning a tenant takes, per schema-creation method, with 100 tenants present.

The full pipeline (``tenants.provisioning.tenant_provision``: validate, tenant row, schema, owner
account with a generated password hashed by the production hasher, domain, activation), timed
step by step, for each method, interleaved sample by sample:

* ``clone``    django-tenants' clone_schema() of the template schema;
* ``migrate``  CREATE SCHEMA and every migration (``migrate_schemas``);
* ``replay``   tenants/schema/replay.py: the template's DDL read from pg_catalog and replayed with
               its rows in one batch (the default, ``TENANT_SCHEMA_METHOD``).

Also checks that each method's schema is identical to the template (structure and rows).

    .venv/bin/python bench/provision.py [--quick]
"""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass, field

import _common as common

EXISTING_TENANTS = 100
METHODS = ("replay", "clone", "migrate")
TARGET_MS = 1000


@dataclass
class Sample:
    total: float
    cpu: float  # this process's CPU time: Python work, as opposed to waiting for PostgreSQL
    steps: dict[str, float] = field(default_factory=dict)


def provision_once(slug: str, method: str) -> Sample:
    from tenants.provisioning import tenant_provision

    steps: dict[str, float] = {}
    current: list = [None, 0.0]

    def progress(step: str, _index: int, _total: int) -> None:
        # Called as each step starts, so a step lasts until the next one's call.
        now = time.perf_counter()
        if current[0] is not None:
            steps[current[0]] = now - current[1]
        current[:] = [step, now]

    cpu_started = time.process_time()
    started = time.perf_counter()
    tenant_provision(
        slug=slug,
        name=f"Provisioned {slug}",
        owner_email=f"owner@{slug}.example",
        schema_method=method,
        progress=progress,
    )
    ended = time.perf_counter()
    steps[current[0]] = ended - current[1]
    return Sample(total=ended - started, cpu=time.process_time() - cpu_started, steps=steps)


def create_existing_tenants(count: int, method: str) -> float:
    from django.test.utils import override_settings

    from tenants.provisioning import tenant_provision

    started = time.perf_counter()
    # Set-up, not measured: a fast hasher for the owners' passwords.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(count):
            slug = f"existing{i:03d}"
            tenant_provision(
                slug=slug,
                name=f"Existing {i}",
                owner_email=f"owner@{slug}.example",
                owner_password="bench-password-1",
                schema_method=method,
            )
            if (i + 1) % 25 == 0:
                common.log(
                    f"created {i + 1}/{count} existing tenants "
                    f"({time.perf_counter() - started:.0f}s)"
                )
    return time.perf_counter() - started


def check_schemas() -> dict[str, list[str]]:
    """Differences between the template and a schema made by each method (empty: identical).
    ``django_migrations.applied`` is a timestamp, so the migrate method's rows there differ by
    nature and are left out of its comparison."""
    from django.conf import settings

    from tenants.schema import create as schemas
    from tests.schema_fingerprint import fingerprint_differences, schema_fingerprint

    template = schema_fingerprint(settings.TENANT_TEMPLATE_SCHEMA)
    differences = {}
    for method in METHODS:
        schema_name = f"t_check_{method}"
        schemas.schema_create(schema_name, method=method)
        copy = schema_fingerprint(schema_name)
        schemas.schema_drop(schema_name)
        expected = dict(template)
        if method == "migrate":
            copy.pop("rows of django_migrations", None)
            expected.pop("rows of django_migrations", None)
        differences[method] = fingerprint_differences(expected, copy)
    return differences


# The catalogs django-tenants' clone reads through information_schema.
CATALOGS = (
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_constraint",
    "pg_depend",
    "pg_type",
    "pg_index",
    "pg_namespace",
    "pg_sequence",
    "pg_description",
)


def time_one_clone(schema_name: str) -> float:
    from tenants.schema import create as schemas

    started = time.perf_counter()
    schemas.schema_create(schema_name, method="clone")
    elapsed = time.perf_counter() - started
    schemas.schema_drop(schema_name)
    return elapsed


def analyze_catalogs() -> None:
    """What autovacuum does some time after a burst of new schemas: until then the planner
    works from stale catalog statistics, and clone's queries get slow plans."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(f"pg_catalog.{c}" for c in CATALOGS))


def clone_breakdown(repeats: int = 3) -> dict[str, float]:
    """What one django-tenants clone spends, apart from the pipeline around it."""
    from django.db import connection
    from django_tenants.clone import CloneSchema

    from tenants.schema import create as schemas

    recreate = []
    for _ in range(repeats):
        started = time.perf_counter()
        CloneSchema()._create_clone_schema_function()
        recreate.append(time.perf_counter() - started)
    started = time.perf_counter()
    schemas.schema_create("t_check_clone_timing", method="clone")
    whole = time.perf_counter() - started
    schemas.schema_drop("t_check_clone_timing")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class")
        relations = cursor.fetchone()[0]
    return {
        "function_recreate_ms": common.median(recreate) * 1000,
        "clone_total_ms": whole * 1000,
        "pg_class_rows": relations,
    }


def main() -> None:
    args = common.parse_args(__doc__.split("\n\n")[0])
    samples = 5 if args.quick else 11
    run_started, load_before = common.utcnow(), os.getloadavg()
    command = ".venv/bin/python bench/provision.py" + (" --quick" if args.quick else "")

    with common.bench_environment(["saas_bench"]) as urls:
        common.django_setup()
        from django.conf import settings
        from django.core.management import call_command

        from tenants.models import Tenant

        started = time.perf_counter()
        call_command("migrate_all", verbosity=0, stdout=io.StringIO())  # stdout: table + JSON
        common.log(f"migrated public and the template in {time.perf_counter() - started:.1f}s")
        clone_alone = time_one_clone("t_check_clone_alone")  # no tenant yet: the baseline
        setup_seconds = create_existing_tenants(EXISTING_TENANTS, "replay")
        existing = Tenant.objects.count()
        # Right after the burst of new schemas the catalog statistics are stale; measure clone
        # once in that state, then settle them as autovacuum eventually would, so the samples
        # show the steady state.
        clone_stale = time_one_clone("t_check_clone_stale")
        analyze_catalogs()
        common.log("checking each method's schema against the template")
        differences = check_schemas()

        results: dict[str, list[Sample]] = {method: [] for method in METHODS}
        for i in range(samples):
            # Rotate the order so that no method always runs first (or right after another).
            order = METHODS[i % len(METHODS) :] + METHODS[: i % len(METHODS)]
            for method in order:
                sample = provision_once(f"s{i:02d}-{method}", method)
                results[method].append(sample)
            common.log(
                f"sample {i + 1}/{samples}: "
                + ", ".join(f"{m} {results[m][-1].total * 1000:.0f} ms" for m in METHODS)
            )
        breakdown = clone_breakdown()
        total_tenants = Tenant.objects.count()
        pg_version = common.postgres_version(urls["saas_bench"])
        project_method = settings.TENANT_SCHEMA_METHOD

    breakdown["clone_stale_ms"] = clone_stale * 1000
    breakdown["clone_alone_ms"] = clone_alone * 1000
    report(
        results,
        differences,
        breakdown,
        args=args,
        command=command,
        started=run_started,
        load_before=load_before,
        existing=existing,
        total_tenants=total_tenants,
        setup_seconds=setup_seconds,
        pg_version=pg_version,
        project_method=project_method,
    )


def report(
    results: dict[str, list[Sample]],
    differences: dict[str, list[str]],
    breakdown: dict[str, float],
    *,
    args,
    command: str,
    started,
    load_before,
    existing: int,
    total_tenants: int,
    setup_seconds: float,
    pg_version: str,
    project_method: str,
) -> None:
    def ms(values: list[float]) -> float:
        return common.median(values) * 1000

    step_names = list(next(iter(results.values()))[0].steps)
    rows = []
    p50 = {}
    for method, samples in results.items():
        totals = sorted(s.total for s in samples)
        p50[method] = ms(totals)
        diff = differences.get(method, [])
        rows.append(
            [
                method,
                p50[method],
                totals[0] * 1000,
                totals[-1] * 1000,
                *(ms([s.steps.get(step, 0.0) for s in samples]) for step in step_names),
                ms([s.cpu for s in samples]),
                "yes" if not diff else f"NO ({len(diff)} kinds of difference)",
            ]
        )
    table = common.format_table(
        [
            "method",
            "p50 ms",
            "min ms",
            "max ms",
            *(f"{s} ms" for s in step_names),
            "bench CPU ms",
            "schema = template",
        ],
        rows,
    )

    result = {
        "p50_ms": round(p50[project_method], 1) if project_method in p50 else None,
        "method": project_method,
        "existing_tenants": existing,
        "clone_p50_ms": round(p50["clone"], 1),
        "migrate_p50_ms": round(p50["migrate"], 1),
        "replay_p50_ms": round(p50["replay"], 1),
        "clone_schema_stale_stats_ms": round(breakdown["clone_stale_ms"], 1),
        "clone_schema_no_tenants_ms": round(breakdown["clone_alone_ms"], 1),
        "samples": len(next(iter(results.values()))),
        "target_ms": TARGET_MS,
        "quick": args.quick,
    }
    notes = [
        f"django-tenants clone with {total_tenants} tenants ({breakdown['pg_class_rows']:,} rows "
        f"in pg_class): {breakdown['clone_total_ms']:,.0f} ms, of which "
        f"{breakdown['function_recreate_ms']:,.0f} ms re-creating the clone_schema() functions "
        "it installs on every call; the rest is the PL/pgSQL copy itself, whose "
        "information_schema lookups read the whole catalog (every tenant's tables). The same "
        f"clone before any tenant existed: {breakdown['clone_alone_ms']:,.0f} ms.",
        f"One clone right after the {existing} tenants were created, before `ANALYZE` of the "
        f"system catalogs: {breakdown['clone_stale_ms']:,.0f} ms (schema step alone; compare "
        "the create_schema column, measured after it). How much stale catalog statistics slow "
        "clone depends on whether autovacuum has re-analyzed them yet; see the findings.",
        "`create_owner` is mostly the owner's password hash (Argon2, the production hasher); "
        "`bench CPU` is this process's CPU time per provisioning (Python: migrate's migration "
        "state rendering shows there; clone and replay wait on PostgreSQL).",
    ]
    for method, diff in differences.items():
        if diff:
            notes.append(
                f"`{method}` schema differs from the template:\n"
                + "\n".join(f"    - {d}" for d in diff)
            )
    print(table)
    print()
    for note in notes:
        print("- " + note)
    print()

    if not args.no_doc:
        method_text = (
            f"Full `tenant_provision` pipeline, production settings, {existing} tenants present "
            f"before the first sample (created with `replay`, set-up {setup_seconds:.0f} s, "
            "then `ANALYZE` of the system catalogs), "
            f"{result['samples']} samples per method, methods interleaved in rotating order "
            f"(so the count grows to {total_tenants}); {pg_version}. The project's method "
            f"(`TENANT_SCHEMA_METHOD`) is `{project_method}`; target p50 < {TARGET_MS} ms. "
            "`replay` is tenants/schema/replay.py; `clone` is django-tenants' clone_schema."
        )
        body = "\n\n".join(
            [
                common.run_header(command, started, load_before),
                method_text,
                table,
                "\n".join("- " + n for n in notes),
                f"Last line of output:\n\n    {json.dumps(result, sort_keys=True)}",
            ]
        )
        common.write_section("Provisioning (bench/provision.py)", body)
    common.emit_result(result)


if __name__ == "__main__":
    main()
