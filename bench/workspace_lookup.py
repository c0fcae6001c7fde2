"""How long "Find my workspace" takes to find an address's workspaces among thousands of tenants.

``tenants.workspaces_find.workspaces_of_email`` asks every active tenant's schema whether an
active account has the address, as one ``UNION ALL`` of index look-ups per 500 schemas. Timed
against the obvious alternative, one query per tenant schema, on the same data: N tenant
schemas, each with an ``accounts_user`` table of 20 accounts (the lookup reads no other table),
the address present in 3 of them.

    .venv/bin/python bench/workspace_lookup.py [--quick]
"""

from __future__ import annotations

import io
import os
import time

import _common as common

USERS_PER_TENANT = 20


def create_tenants(count: int) -> float:
    from django.db import connection

    from tenants.models import Tenant, TenantState

    started = time.perf_counter()
    rows = []
    with connection.cursor() as cursor:
        for n in range(count):
            schema = f"t_lk{n:05d}"
            cursor.execute(
                f'CREATE SCHEMA "{schema}"; '
                f'CREATE TABLE "{schema}".accounts_user (id bigserial PRIMARY KEY, '
                "email varchar(254) NOT NULL UNIQUE, is_active boolean NOT NULL DEFAULT true)")
            emails = [f"user{u}@lk{n}.example" for u in range(USERS_PER_TENANT)]
            if n in (7, count // 2, count - 1):
                emails[0] = "someone@shared.example"
            cursor.execute(
                f'INSERT INTO "{schema}".accounts_user (email) SELECT unnest(%s::text[])',
                [emails])
            rows.append(Tenant(slug=f"lk{n:05d}", name=f"Lookup {n}", schema_name=schema,
                               state=TenantState.ACTIVE))
            if n % 500 == 499:
                common.log(f"{n + 1} tenant schemas")
    Tenant.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def per_tenant_lookup(email: str) -> list[str]:
    """The alternative: one query per tenant schema."""
    from django.db import connection

    from tenants.models import Tenant, TenantState

    found = []
    with connection.cursor() as cursor:
        for tenant in Tenant.objects.filter(state=TenantState.ACTIVE).order_by("slug"):
            cursor.execute(
                f'SELECT 1 FROM "{tenant.schema_name}".accounts_user '  # noqa: S608
                "WHERE email = %s AND is_active", [email])
            if cursor.fetchone():
                found.append(tenant.slug)
    return found


def timed(function, samples: int) -> tuple[float, list]:
    times, result = [], None
    for _ in range(samples):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return common.median(times), result


def main() -> None:
    args = common.parse_args(__doc__.split("\n\n")[0])
    count = 1000 if args.quick else 5000
    samples = 5 if args.quick else 11
    run_started, load_before = common.utcnow(), os.getloadavg()
    command = ".venv/bin/python bench/workspace_lookup.py" + (" --quick" if args.quick else "")

    with common.bench_environment(["saas_bench_lookup"]) as urls:
        common.django_setup()
        from django.core.management import call_command

        from tenants.workspaces_find import workspaces_of_email

        call_command("migrate_schemas", "--shared", verbosity=0, stdout=io.StringIO())
        setup_seconds = create_tenants(count)
        common.log(f"{count} tenant schemas in {setup_seconds:.1f}s")
        email = "someone@shared.example"
        workspaces_of_email(email)  # warm the connection's catalog cache, as a worker's is
        batched, found = timed(lambda: workspaces_of_email(email), samples)
        per_tenant, found_each = timed(lambda: per_tenant_lookup(email), samples)
        assert [t.slug for t in found] == found_each, (found, found_each)
        absent, nobody = timed(lambda: workspaces_of_email("nobody@nowhere.example"), samples)
        assert nobody == []
        pg_version = common.postgres_version(urls["saas_bench_lookup"])

    batches = -(-count // 500)
    rows = [
        ["UNION ALL per 500 schemas (the project's)", f"{batches + 1}",
         f"{batched * 1000:.0f}", f"{absent * 1000:.0f}"],
        ["one query per tenant schema", f"{count + 1}", f"{per_tenant * 1000:.0f}", "—"],
    ]
    body = "\n\n".join([
        common.run_header(command, run_started, load_before, extra=pg_version),
        f"{count} active tenant schemas of {USERS_PER_TENANT} accounts each; the address is in "
        f"3 of them. Median of {samples} runs, one warm connection.",
        common.format_table(["lookup", "queries", "found (ms)", "absent (ms)"], rows),
        f"The lookup runs in the Celery task `tenants.find_workspaces`, never in the request: "
        f"the page answers the same at once, found or not. Batched, it is "
        f"{per_tenant / batched:.1f} times faster than a query per tenant here.",
    ])
    if not args.no_doc:
        common.write_section("Find my workspace: an address across tenant schemas", body)
    print(body)
    common.emit_result({"benchmark": "workspace_lookup", "tenants": count,
                        "batched_ms": round(batched * 1000, 1),
                        "absent_ms": round(absent * 1000, 1),
                        "per_tenant_ms": round(per_tenant * 1000, 1),
                        "speedup": round(per_tenant / batched, 1)})


if __name__ == "__main__":
    main()
