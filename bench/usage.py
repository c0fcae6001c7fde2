"""What usage figures cost: the collector over many tenants, and counting on every API request.

* ``usage_collect_s``       ``usage_collect()`` (tenants/plans/collect.py) over N tenants (1,000;
                            ``--quick`` 200), in process: one SQL statement per tenant, one Redis
                            round trip and one upsert per batch. Also per tenant in ms.
* ``usage_overhead_ratio``  req/s of the tenant API (GET /api/v1/me, session cookie) with request
                            counting on, divided by req/s with it off (``USAGE_COUNT_REQUESTS``),
                            by the method of bench/routing.py: gunicorn as shipped, 2 sync
                            workers, interleaved slices in balanced orders, plus that bench's
                            plain single-schema baseline for reference (``counting_vs_plain``).
                            Target >= 0.98.

    .venv/bin/python bench/usage.py [--quick]
"""

from __future__ import annotations

import io
import json
import os
import time

import _common as common
import routing

TARGETS = {"usage_overhead_ratio": 0.98}
HOSTS = 10  # tenants the load rotates over


def provision(count: int) -> list:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django_tenants.utils import schema_context

    from shared_apps.accounts.models import User
    from tenants.provisioning import tenant_provision

    call_command("migrate_all", verbosity=0, stdout=io.StringIO())
    targets = []
    started = time.perf_counter()
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(count):
            slug = f"usage{i:04d}"
            # The first HOSTS get a signed-in owner for the load; the rest an invitation.
            ctx = tenant_provision(slug=slug, name=slug, owner_email=f"owner@{slug}.example",
                                   owner_password="bench-password-1" if i < HOSTS else None,
                                   schema_method="replay")
            if i < HOSTS:
                with schema_context(ctx.tenant.schema_name):
                    cookie = routing.session_for(User.objects.get())
                targets.append(routing.Target(f"{slug}.{common.BASE_DOMAIN}", cookie, slug))
            if (i + 1) % 100 == 0:
                common.log(f"provisioned {i + 1}/{count} ({time.perf_counter() - started:.0f}s)")
    connection.set_schema_to_public()
    return targets


def measure_collector() -> dict:
    from django.db import connection

    from tenants.plan_models import TenantUsage
    from tenants.plans.collect import usage_collect

    runs = []
    for _ in range(3):
        started = time.perf_counter()
        written = usage_collect()
        runs.append(time.perf_counter() - started)
    connection.set_schema_to_public()
    counted = TenantUsage.objects.filter(api_requests__gt=0).count()
    best = min(runs)
    return {"usage_collect_s": round(best, 2), "usage_collect_runs_s": [round(r, 2) for r in runs],
            "usage_collect_ms_per_tenant": round(best / written * 1000, 2),
            "tenants": written, "tenants_with_api_requests": counted}


def main() -> None:
    args = common.parse_args(__doc__.split("\n\n")[0])
    count = 200 if args.quick else 1000
    rounds, seconds, max_requests = (8, 2.0, 20_000) if args.quick else (20, 3.0, 50_000)
    run_started, load_before = common.utcnow(), os.getloadavg()
    command = ".venv/bin/python bench/usage.py" + (" --quick" if args.quick else "")

    with common.bench_environment(["saas_bench_usage", "saas_bench_usage_plain"]) as urls:
        common.django_setup()
        targets = provision(count)
        plain_targets, _ = routing.setup_plain(urls["saas_bench_usage_plain"])
        pg_version = common.postgres_version(urls["saas_bench_usage"])
        from django.db import connections

        connections.close_all()
        servers = {
            "counting": common.Gunicorn("counting", urls["saas_bench_usage"],
                                        env=routing.SERVER_ENV),
            "not-counting": common.Gunicorn("not-counting", urls["saas_bench_usage"],
                                            env={**routing.SERVER_ENV,
                                                 "USAGE_COUNT_REQUESTS": "false"}),
            "plain": common.Gunicorn("plain", urls["saas_bench_usage_plain"],
                                     env=routing.SERVER_ENV,
                                     settings_module="saas_platform.settings.bench_plain"),
        }
        scenarios = {"counting": targets, "not-counting": targets,
                     "plain": plain_targets[:HOSTS]}
        results: dict[str, list] = {name: [] for name in scenarios}
        orders = ((0, 1, 2), (1, 2, 0), (2, 0, 1), (0, 2, 1), (1, 0, 2), (2, 1, 0))
        backends = routing.BackendPids(urls["saas_bench_usage"])
        try:
            for name, server in servers.items():
                server.wait_ready(routing.PATH, scenarios[name][0].headers())
                routing.verify(server.port, scenarios[name][:2])
                routing.run_load(server.port, scenarios[name], seconds=1.5,
                                 max_requests=max_requests)  # warm-up
            names = list(scenarios)
            for round_no in range(rounds):
                for name in (names[i] for i in orders[round_no % len(orders)]):
                    results[name].append(routing.run_slice(
                        servers[name], scenarios[name], backends, seconds=seconds,
                        max_requests=max_requests))
                common.log(f"round {round_no + 1}/{rounds}: " + ", ".join(
                    f"{n} {runs[-1].rps:.0f}" for n, runs in results.items()) + " req/s")
        finally:
            backends.close()
            for server in servers.values():
                server.stop()
        collector = measure_collector()

    stats = {name: routing.summarize(runs) for name, runs in results.items()}
    ratio = routing.throughput_ratio(results["counting"], results["not-counting"])
    ratio_ci = routing.ratio_interval(results["counting"], results["not-counting"])
    vs_plain = routing.throughput_ratio(results["counting"], results["plain"])
    cpu_ratio = routing._ratio(stats["not-counting"]["cpu_ms"], stats["counting"]["cpu_ms"])
    table = common.format_table(
        ["scenario", "req/s", "p50 ms", "p99 ms", "gunicorn CPU ms/req", "requests", "errors"],
        [[n, s["rps"], s["p50_ms"], s["p99_ms"],
          f"{s['app_cpu_ms']:.2f}" if s["app_cpu_ms"] is not None else "n/a",
          s["requests"], s["errors"]] for n, s in stats.items()])
    summary = common.format_table(["figure", "value", "target"], [
        ["usage_overhead_ratio: counting / not counting req/s",
         routing.with_interval(ratio, ratio_ci), f">= {TARGETS['usage_overhead_ratio']}"],
        ["usage_overhead_cpu_ratio: not counting / counting server CPU per request",
         f"{cpu_ratio:.3f}" if cpu_ratio else "n/a", ""],
        ["counting_vs_plain: counting / plain single-schema req/s", f"{vs_plain:.3f}", ""],
        [f"usage_collect_s: collector over {collector['tenants']} tenants (best of 3)",
         collector["usage_collect_s"], ""],
        ["usage_collect_ms_per_tenant", collector["usage_collect_ms_per_tenant"], ""],
    ])
    print(table)
    print()
    print(summary)
    result = {
        "usage_overhead_ratio": round(ratio, 4),
        "usage_overhead_ratio_ci90": [round(ratio_ci[0], 3), round(ratio_ci[1], 3)],
        "usage_overhead_cpu_ratio": cpu_ratio,
        "counting_vs_plain": round(vs_plain, 4),
        "counting_rps": round(stats["counting"]["rps"], 1),
        "not_counting_rps": round(stats["not-counting"]["rps"], 1),
        "plain_rps": round(stats["plain"]["rps"], 1),
        **collector,
        "errors": sum(s["errors"] for s in stats.values()),
        "quick": args.quick,
    }
    if not args.no_doc:
        method = (
            f"{count} tenants provisioned with `tenant_provision` (schema method `replay`); "
            f"{pg_version}. Collector: `usage_collect()` in process over every tenant, best of "
            "3 runs (one SQL statement per tenant, a Redis pipeline and an upsert per batch of "
            "200). Request counting: GET /api/v1/me with a session cookie, rotating over "
            f"{HOSTS} tenant hosts, under gunicorn as bench/routing.py runs it "
            f"({routing.WORKERS} sync workers, {routing.CONCURRENCY} client threads, "
            f"`RATE_LIMIT_TENANT` out of reach); {rounds} rounds of {seconds:g} s per scenario "
            "in rotating orders; `not-counting` is the same server with "
            "`USAGE_COUNT_REQUESTS=false`; `plain` is bench/routing.py's single-schema "
            "baseline, for reference.")
        common.write_section("Usage figures (bench/usage.py)", "\n\n".join([
            common.run_header(command, run_started, load_before), method, table, summary,
            f"Last line of output:\n\n    {json.dumps(result, sort_keys=True)}"]))
    common.emit_result(result)


if __name__ == "__main__":
    main()
