"""What tenant routing costs per request.

One cheap authenticated tenant endpoint (GET /api/v1/me, session cookie) under gunicorn (2 sync
workers, persistent database connections), driven by a small threaded load generator over
loopback, in four scenarios measured in the same run, interleaved round by round:

* ``tenant``           the production settings, every request to one tenant host;
* ``plain``            the same view in a single-schema configuration (``bench_plain``: stock
                       PostgreSQL backend, no tenant middleware, tables in ``public``);
* ``tenant-rotating``  the production settings, requests rotating over 100 tenant hosts, each
                       with its own session (so every request switches the connection's schema:
                       one ``SET search_path``);
* ``plain-rotating``   the plain configuration rotating over 100 users' sessions, the baseline
                       for the rotating case (same number of distinct rows touched).

Also counts, in process with Django's test client, the queries a warm routed request runs
beyond those the same view runs in the plain configuration (target: 0).

    .venv/bin/python bench/routing.py [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import io
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import _common as common

PATH = "/api/v1/me"
TENANTS = 100
CONCURRENCY = 4  # two per worker, so a sync worker never waits for the client between requests
WORKERS = 2
# The shipped gunicorn configuration with two sync workers (not its default of 2 x CPUs + 1):
# with four client threads, two workers keep both cores busy, and fewer processes make the
# per-process CPU accounting less noisy. Access logs off: both configurations would pay the same.
SERVER_ENV = {"WEB_CONCURRENCY": str(WORKERS), "GUNICORN_THREADS": "1", "GUNICORN_ACCESS_LOG": ""}
TARGETS = {"ratio": 0.95, "ratio_rotating": 0.90, "routing_queries": 0}
# The order of the four scenarios in successive rounds: a balanced Latin square (Williams), so
# that every scenario runs as often in each position of a round, and right after each other
# one. A slice's position matters on a busy machine (the first after a switch of server finds
# colder caches); a plain forward/backward alternation would keep two scenarios always at the
# ends and two always in the middle, biasing both ratios.
BALANCED_ORDERS = ((0, 1, 3, 2), (1, 2, 0, 3), (2, 3, 1, 0), (3, 0, 2, 1))


@dataclass(frozen=True)
class Target:
    host: str
    cookie: str
    expect: str  # the tenant slug the response must name

    def headers(self) -> dict[str, str]:
        from django.conf import settings

        return {
            "Host": self.host,
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={self.cookie}",
            "Accept": "application/json",
            # As the TLS-terminating proxy in front of production sends it (SECURE_SSL_REDIRECT).
            "X-Forwarded-Proto": "https",
        }


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    app_cpu: float | None = None  # CPU seconds of the gunicorn workers over the run
    db_cpu: float | None = None  # ... and of their PostgreSQL backends (None if not local)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# -- load generator ---------------------------------------------------------------------------
def run_load(
    port: int,
    targets: list[Target],
    *,
    seconds: float,
    max_requests: int,
    concurrency: int = CONCURRENCY,
) -> LoadResult:
    """``concurrency`` threads, each with one http.client connection (re-opened whenever the
    server closes it, which gunicorn's sync workers do after every response), taking targets in
    turn from one shared counter until ``seconds`` pass or ``max_requests`` are sent."""
    counter = itertools.count()
    header_sets = [t.headers() for t in targets]
    per_thread: list[LoadResult] = [LoadResult() for _ in range(concurrency)]
    deadline = time.perf_counter() + seconds

    def worker(result: LoadResult) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies = result.latencies
        while True:
            n = next(counter)  # atomic under the GIL
            if n >= max_requests:
                break
            started = time.perf_counter()
            if started >= deadline:
                break
            try:
                conn.request("GET", PATH, headers=header_sets[n % len(header_sets)])
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            latencies.append(time.perf_counter() - started)
            result.requests += 1
            result.errors += not ok
        conn.close()

    threads = [threading.Thread(target=worker, args=(r,)) for r in per_thread]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = LoadResult(seconds=time.perf_counter() - began)
    for result in per_thread:
        total.requests += result.requests
        total.errors += result.errors
        total.latencies.extend(result.latencies)
    return total


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time of ``pids`` (None when a process cannot be read, e.g. a remote
    database server)."""
    total = 0.0
    for pid in pids:
        try:
            # Fields after "pid (comm)": state is field 3, utime 14 and stime 15.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


class BackendPids:
    """PIDs of the PostgreSQL backends serving a database (the workers' persistent ones)."""

    def __init__(self, admin_url: str) -> None:
        self.conn = common._admin_connection(admin_url)

    def __call__(self, database: str) -> list[int]:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'",
            [database],
        ).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self.conn.close()


def run_slice(
    server: common.Gunicorn,
    targets: list[Target],
    backends: BackendPids,
    *,
    seconds: float,
    max_requests: int,
) -> LoadResult:
    """One measured slice of load, with the server side's CPU time over it."""
    workers, db = server.worker_pids(), backends(server.database)
    before = cpu_seconds(workers), cpu_seconds(db)
    result = run_load(server.port, targets, seconds=seconds, max_requests=max_requests)
    after = cpu_seconds(workers), cpu_seconds(db)
    if before[0] is not None and after[0] is not None:
        result.app_cpu = after[0] - before[0]
    if db and before[1] is not None and after[1] is not None:
        result.db_cpu = after[1] - before[1]
    return result


def verify(port: int, targets: list[Target]) -> None:
    """Every target answers 200 with its own tenant in the body (also warms each worker)."""
    for target in targets:
        for _ in range(WORKERS * 2):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", PATH, headers=target.headers())
            response = conn.getresponse()
            body = response.read()
            conn.close()
            if response.status != 200:
                raise RuntimeError(f"{target.host}: HTTP {response.status}: {body[:300]!r}")
            slug = json.loads(body)["tenant"]["slug"]
            if slug != target.expect:
                raise RuntimeError(f"{target.host} answered for tenant {slug!r}")


# -- set-up -----------------------------------------------------------------------------------
def session_for(user) -> str:
    """A logged-in session for ``user`` in the current schema, as django.contrib.auth.login
    writes it (no request needed)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def capture_queries(client, target: Target) -> list[str]:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.cookies[settings.SESSION_COOKIE_NAME] = target.cookie
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(PATH, HTTP_HOST=target.host, secure=True)
    if response.status_code != 200 or response.json()["tenant"]["slug"] != target.expect:
        raise RuntimeError(f"in-process request to {target.host} failed: {response.content!r}")
    return [q["sql"] for q in ctx.captured_queries]


def setup_tenants() -> list[Target]:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django_tenants.utils import schema_context

    from shared_apps.accounts.models import User
    from tenants.provisioning import tenant_provision

    started = time.perf_counter()
    call_command("migrate_all", verbosity=0, stdout=io.StringIO())  # stdout: table + JSON
    common.log(f"migrated public and the template in {time.perf_counter() - started:.1f}s")
    # The project's schema method, replay (see bench/provision.py).
    method = "replay"
    targets = []
    started = time.perf_counter()
    # Hashing 100 owner passwords with Argon2 is set-up cost, not what this measures.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(TENANTS):
            slug = f"bench{i:03d}"
            ctx = tenant_provision(
                slug=slug,
                name=f"Bench tenant {i}",
                owner_email=f"owner@{slug}.example",
                owner_password="bench-password-1",
                schema_method=method,
            )
            with schema_context(ctx.tenant.schema_name):
                cookie = session_for(User.objects.get())
            targets.append(Target(f"{slug}.{common.BASE_DOMAIN}", cookie, slug))
            if (i + 1) % 25 == 0:
                common.log(
                    f"provisioned {i + 1}/{TENANTS} tenants ({time.perf_counter() - started:.0f}s)"
                )
    connection.set_schema_to_public()
    return targets


def count_routed_queries(targets: list[Target]) -> dict[str, list[str]]:
    """Queries of a warm routed request, on the same host as the previous request and on a
    host switch (the rotating case), in process through Django's test client."""
    from django.test import Client

    client = Client()
    first, second = targets[0], targets[1]
    for target in (first, second, first, first):
        capture_queries(client, target)  # warm the routes and the connection
    same_host = capture_queries(client, first)
    switched = capture_queries(client, second)
    return {"same_host": same_host, "switched": switched}


def plain_helper(users: int) -> None:
    """Subprocess mode with settings ``bench_plain``: migrate the plain database, create
    ``users`` users each with a session, count a warm request's queries, print JSON."""
    common.django_setup("saas_platform.settings.bench_plain")
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from shared_apps.accounts.models import User
    from tenant_apps.core.roles import Role

    call_command("migrate", verbosity=0, interactive=False)
    cookies = []
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(users):
            user = User.objects.create_user(
                email=f"user{i:03d}@plain.example", password="bench-password-1", role=Role.OWNER
            )
            cookies.append(session_for(user))
    target = Target(f"plain.{common.BASE_DOMAIN}", cookies[0], "plain")
    client = Client()
    for _ in range(3):
        capture_queries(client, target)
    queries = capture_queries(client, target)
    common.emit_result({"cookies": cookies, "queries": queries})


def setup_plain(database_url: str) -> tuple[list[Target], list[str]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "saas_platform.settings.bench_plain",
        "DATABASE_URL": database_url,
    }
    out = subprocess.run(
        [sys.executable, __file__, "--plain-helper", str(TENANTS)],
        env=env,
        cwd=common.ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    host = f"plain.{common.BASE_DOMAIN}"
    return [Target(host, cookie, "plain") for cookie in data["cookies"]], data["queries"]


# -- the run ----------------------------------------------------------------------------------
def main() -> None:
    args = common.parse_args(
        __doc__.split("\n\n")[0],
        extra=lambda p: p.add_argument("--plain-helper", type=int, help=argparse.SUPPRESS),
    )
    if args.plain_helper:
        plain_helper(args.plain_helper)
        return

    # Many short slices, interleaved: on a shared machine the load of other processes drifts
    # within seconds, and fine interleaving makes every scenario see the same drift.
    rounds, seconds, max_requests = (12, 2.0, 20_000) if args.quick else (28, 3.0, 50_000)
    run_started, load_before = common.utcnow(), os.getloadavg()
    command = ".venv/bin/python bench/routing.py" + (" --quick" if args.quick else "")

    with common.bench_environment(["saas_bench", "saas_bench_plain"]) as urls:
        common.django_setup()
        targets = setup_tenants()
        queries = count_routed_queries(targets)
        plain_targets, plain_queries = setup_plain(urls["saas_bench_plain"])
        pg_version = common.postgres_version(urls["saas_bench"])
        from django.db import connections

        connections.close_all()

        servers = {
            "tenant": common.Gunicorn("tenant", urls["saas_bench"], env=SERVER_ENV),
            "plain": common.Gunicorn("plain", urls["saas_bench_plain"], env=SERVER_ENV,
                                     settings_module="saas_platform.settings.bench_plain"),
        }
        scenarios = {
            "tenant": (servers["tenant"], targets[:1]),
            "plain": (servers["plain"], plain_targets[:1]),
            "tenant-rotating": (servers["tenant"], targets),
            "plain-rotating": (servers["plain"], plain_targets),
        }
        results: dict[str, list[LoadResult]] = {name: [] for name in scenarios}
        backends = BackendPids(urls["saas_bench"])
        try:
            servers["tenant"].wait_ready(PATH, targets[0].headers())
            servers["plain"].wait_ready(PATH, plain_targets[0].headers())
            common.log("servers up; verifying every host answers for its own tenant")
            verify(servers["tenant"].port, targets)
            verify(servers["plain"].port, plain_targets[:5])
            for server, scenario_targets in scenarios.values():  # warm-up, not recorded
                run_load(server.port, scenario_targets, seconds=1.5, max_requests=max_requests)
            names = list(scenarios)
            for round_no in range(rounds):
                for name in (names[i] for i in BALANCED_ORDERS[round_no % len(BALANCED_ORDERS)]):
                    server, scenario_targets = scenarios[name]
                    result = run_slice(
                        server,
                        scenario_targets,
                        backends,
                        seconds=seconds,
                        max_requests=max_requests,
                    )
                    results[name].append(result)
                common.log(
                    f"round {round_no + 1}/{rounds}: "
                    + ", ".join(f"{name} {runs[-1].rps:.0f}" for name, runs in results.items())
                    + " req/s"
                )
        finally:
            backends.close()
            for server in servers.values():
                server.stop()

    report(
        results,
        queries,
        plain_queries,
        args=args,
        command=command,
        started=run_started,
        load_before=load_before,
        pg_version=pg_version,
        rounds=rounds,
        seconds=seconds,
    )


def summarize(runs: list[LoadResult]) -> dict[str, float | None]:
    latencies = sorted(latency for run in runs for latency in run.latencies)
    requests = sum(run.requests for run in runs)

    def per_request_ms(values: list[float | None]) -> float | None:
        return sum(values) / requests * 1000 if requests and None not in values else None

    app_cpu = per_request_ms([run.app_cpu for run in runs])
    db_cpu = per_request_ms([run.db_cpu for run in runs])
    seconds = sum(run.seconds for run in runs)
    return {
        # Throughput over all rounds: every scenario ran in every round, interleaved, so each
        # saw the same mix of the machine's quiet and busy spells.
        "rps": requests / seconds if seconds else 0.0,
        "rps_q1": common.percentile(sorted(run.rps for run in runs), 0.25),
        "rps_q3": common.percentile(sorted(run.rps for run in runs), 0.75),
        "p50_ms": common.percentile(latencies, 0.50) * 1000,
        "p99_ms": common.percentile(latencies, 0.99) * 1000,
        "requests": requests,
        "errors": sum(run.errors for run in runs),
        # Server-side CPU per request: far less moved by other processes' load than req/s.
        "app_cpu_ms": app_cpu,
        "db_cpu_ms": db_cpu,
        "cpu_ms": app_cpu + db_cpu if app_cpu is not None and db_cpu is not None else app_cpu,
    }


def throughput_ratio(numerator: list[LoadResult], denominator: list[LoadResult]) -> float:
    def rps(runs: list[LoadResult]) -> float:
        return sum(r.requests for r in runs) / sum(r.seconds for r in runs)

    return rps(numerator) / rps(denominator)


def ratio_interval(
    numerator: list[LoadResult], denominator: list[LoadResult], resamples: int = 2000
) -> tuple[float, float]:
    """90% bootstrap interval of ``throughput_ratio``, resampling whole rounds: how far the
    machine's noise leaves the figure uncertain."""
    import random

    rng = random.Random(42)  # statistics, not secrets
    rounds = list(zip(numerator, denominator, strict=True))
    ratios = sorted(
        throughput_ratio(*zip(*(rng.choice(rounds) for _ in rounds), strict=True))
        for _ in range(resamples)
    )
    return common.percentile(ratios, 0.05), common.percentile(ratios, 0.95)


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a and b else None


def with_interval(value: float, interval: tuple[float, float]) -> str:
    return f"{value:.3f} (90% CI {interval[0]:.2f}-{interval[1]:.2f})"


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def report(
    results: dict[str, list[LoadResult]],
    queries: dict[str, list[str]],
    plain_queries: list[str],
    *,
    args,
    command: str,
    started,
    load_before,
    pg_version: str,
    rounds: int,
    seconds: float,
) -> None:
    stats = {name: summarize(runs) for name, runs in results.items()}
    ratio = throughput_ratio(results["tenant"], results["plain"])
    ratio_rotating = throughput_ratio(results["tenant-rotating"], results["plain-rotating"])
    ratio_ci = ratio_interval(results["tenant"], results["plain"])
    ratio_rotating_ci = ratio_interval(results["tenant-rotating"], results["plain-rotating"])
    # CPU ratios are plain/tenant, so that, like the req/s ratios, 1.0 means "routing is free".
    ratio_cpu = _ratio(stats["plain"]["cpu_ms"], stats["tenant"]["cpu_ms"])
    ratio_rotating_cpu = _ratio(
        stats["plain-rotating"]["cpu_ms"], stats["tenant-rotating"]["cpu_ms"]
    )
    routing_queries = len(queries["same_host"]) - len(plain_queries)
    switch_queries = len(queries["switched"]) - len(plain_queries)

    def cpu_cell(value: float | None) -> str:
        return f"{value:.2f}" if value is not None else "n/a"

    rows = [
        [
            name,
            s["rps"],
            f"{s['rps_q1']:,.0f}-{s['rps_q3']:,.0f}",
            s["p50_ms"],
            s["p99_ms"],
            cpu_cell(s["app_cpu_ms"]),
            cpu_cell(s["db_cpu_ms"]),
            s["requests"],
            s["errors"],
        ]
        for name, s in stats.items()
    ]
    table = common.format_table(
        [
            "scenario",
            "req/s",
            "req/s of rounds (IQR)",
            "p50 ms",
            "p99 ms",
            "gunicorn CPU ms/req",
            "PostgreSQL CPU ms/req",
            "requests",
            "errors",
        ],
        rows,
    )
    summary = common.format_table(
        ["figure", "value", "target"],
        [
            [
                "ratio: tenant / plain req/s, one host",
                with_interval(ratio, ratio_ci),
                f">= {TARGETS['ratio']}",
            ],
            [
                "ratio_rotating: same, 100 hosts vs 100 sessions",
                with_interval(ratio_rotating, ratio_rotating_ci),
                f">= {TARGETS['ratio_rotating']}",
            ],
            ["ratio_cpu: plain / tenant server CPU per request, one host", cpu_cell(ratio_cpu), ""],
            ["ratio_rotating_cpu: same, rotating", cpu_cell(ratio_rotating_cpu), ""],
            [
                "routing_queries: warm request, same host, beyond the view's",
                routing_queries,
                f"{TARGETS['routing_queries']}",
            ],
            [
                "queries on a host switch, beyond the view's",
                switch_queries,
                "1 (the SET search_path)",
            ],
            ["queries of the view itself (plain)", len(plain_queries), ""],
        ],
    )
    print(table)
    print()
    print(summary)
    print()
    print("Warm routed request, same host:", *queries["same_host"], sep="\n  ")
    print("Warm routed request after a host switch:", *queries["switched"], sep="\n  ")
    print("Same view, plain configuration:", *plain_queries, sep="\n  ")
    print()

    result = {
        "ratio": round(ratio, 4),
        "ratio_rotating": round(ratio_rotating, 4),
        "ratio_ci90": [round(ratio_ci[0], 3), round(ratio_ci[1], 3)],
        "ratio_rotating_ci90": [round(ratio_rotating_ci[0], 3), round(ratio_rotating_ci[1], 3)],
        "ratio_cpu": ratio_cpu,
        "ratio_rotating_cpu": ratio_rotating_cpu,
        "tenant_rps": round(stats["tenant"]["rps"], 1),
        "plain_rps": round(stats["plain"]["rps"], 1),
        "tenant_rotating_rps": round(stats["tenant-rotating"]["rps"], 1),
        "plain_rotating_rps": round(stats["plain-rotating"]["rps"], 1),
        "tenant_p50_ms": round(stats["tenant"]["p50_ms"], 2),
        "tenant_p99_ms": round(stats["tenant"]["p99_ms"], 2),
        "plain_p50_ms": round(stats["plain"]["p50_ms"], 2),
        "plain_p99_ms": round(stats["plain"]["p99_ms"], 2),
        "tenant_cpu_ms": _round(stats["tenant"]["cpu_ms"]),
        "plain_cpu_ms": _round(stats["plain"]["cpu_ms"]),
        "tenant_rotating_cpu_ms": _round(stats["tenant-rotating"]["cpu_ms"]),
        "plain_rotating_cpu_ms": _round(stats["plain-rotating"]["cpu_ms"]),
        "routing_queries": routing_queries,
        "host_switch_queries": switch_queries,
        "errors": sum(s["errors"] for s in stats.values()),
        "quick": args.quick,
    }
    if not args.no_doc:
        method = (
            f"gunicorn with deploy/gunicorn.conf.py: {WORKERS} sync workers, access log off, "
            f"persistent database connections, production settings (`RATE_LIMIT_TENANT` raised "
            f"out of reach); "
            f"{CONCURRENCY} client threads over loopback (each request a new TCP connection: "
            f"sync workers close after every response); {rounds} rounds, each running every "
            f"scenario for {seconds:g} s, in orders from a balanced Latin square. req/s: all "
            "requests over all "
            "rounds' time (ratios likewise, with a 90% bootstrap interval over rounds); latency "
            "percentiles: all requests; server "
            "CPU: user+system time of the gunicorn workers and their PostgreSQL backends "
            "(from /proc) per request, the figures least disturbed by other load on the machine. "
            f"{TENANTS} tenants provisioned with `tenant_provision` (schema method `replay`, "
            f"see the provisioning section); {pg_version}. Baseline: the same view under "
            "`saas_platform.settings.bench_plain` (stock PostgreSQL backend, no tenant "
            "middleware, tables in `public` of a database of its own); `plain-rotating` rotates "
            f"over {TENANTS} users' sessions."
        )
        body = "\n\n".join(
            [
                common.run_header(command, started, load_before),
                method,
                table,
                summary,
                "Queries of a warm routed request (same host):\n\n"
                + "\n".join(f"    {q}" for q in queries["same_host"]),
                "After a host switch:\n\n" + "\n".join(f"    {q}" for q in queries["switched"]),
                f"Last line of output:\n\n    {json.dumps(result, sort_keys=True)}",
            ]
        )
        common.write_section("Routing (bench/routing.py)", body)
    common.emit_result(result)


if __name__ == "__main__":
    main()
