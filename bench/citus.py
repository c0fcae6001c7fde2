"""The platform on a 3-node Citus cluster against single PostgreSQL, in the same run.

Two databases, each served by gunicorn as shipped (2 sync workers): one on the embedded
PostgreSQL 16, one on a Citus 13 coordinator with two workers (devtools/citus.py; all three
nodes on this machine, so the cluster pays Citus's extra network hop without gaining any
hardware: the ratio is the overhead, not the scale-out). Measured, rounds interleaved:

* routing throughput: GET /api/v1/me rotating over the tenants' hosts (API keys), 4 clients;
* API list latency: GET /api/v1/inventory/products?page_size=50 on a tenant with 2,000
  products, one client, p50;
* provisioning: the p50 of ``tenant_provision`` on each;
* an online move on Citus: a tenant with 100,000 products moved to the other worker
  (``citus_schema_move``, logical replication) while a client reads and writes its API;
  ``move_failed_requests`` counts the requests that failed meanwhile (target 0).

Skips (printing why, JSON ``{"skipped": ...}``) when there is no Citus source.

    .venv/bin/python bench/citus.py [--quick]
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
import sys
import threading
import time

import _common as common

DB_SINGLE = "saas_bench_citus_single"
DB_CITUS = "saas_bench_citus"
LIST_PRODUCTS = 2_000
MOVE_PRODUCTS = 100_000
CONCURRENCY = 4
SERVER_ENV = {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "1", "GUNICORN_ACCESS_LOG": ""}


# -- set-up, in a subprocess per database (Django is configured once per process) ------------
def setup(tenants: int, move_tenant: bool) -> None:
    common.django_setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.test.utils import override_settings
    from django_tenants.utils import schema_context

    from shared_apps.accounts.models import User
    from tenant_apps.core.services.api_keys import api_key_create
    from tenant_apps.inventory.models import Product
    from tenants.provisioning import tenant_provision

    call_command("migrate_all", verbosity=0)
    keys, provision_ms = {}, []
    slugs = [f"bench{i:03d}" for i in range(tenants)] + (["benchmove"] if move_tenant else [])
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for slug in slugs:
            started = time.perf_counter()
            ctx = tenant_provision(slug=slug, name=slug, owner_email=f"o@{slug}.example",
                                   owner_password="bench-password-1")
            provision_ms.append((time.perf_counter() - started) * 1000)
            with schema_context(ctx.tenant.schema_name):
                owner = User.objects.get()
                keys[slug] = api_key_create(name="bench", scope="read_write",
                                            created_by=owner).raw_key
    def products(slug: str, count: int) -> None:
        with schema_context(f"t_{slug}"):
            for start in range(0, count, 10_000):
                Product.objects.bulk_create([
                    Product(sku=f"SKU-{i:07d}", name=f"Product {i}", price=Decimal("9.99"),
                            cost=Decimal("4.50"), reorder_level=Decimal(0))
                    for i in range(start, min(count, start + 10_000))], batch_size=5_000)

    products(slugs[0], LIST_PRODUCTS)
    if move_tenant:
        products("benchmove", MOVE_PRODUCTS)
    common.emit_result({"keys": keys, "provision_ms": provision_ms})


def run_setup(env: dict[str, str], tenants: int, move_tenant: bool) -> dict:
    args = [sys.executable, __file__, "--setup", str(tenants)] + (["--move"] if move_tenant else [])
    result = subprocess.run(args, env=env, capture_output=True, text=True, cwd=common.ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"set-up failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- load -------------------------------------------------------------------------------------
def request(port: int, method: str, path: str, headers: dict[str, str],
            body: dict | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body) if body is not None else None
        hdrs = {**headers, **({"Content-Type": "application/json"} if payload else {})}
        conn.request(method, path, body=payload, headers=hdrs)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def headers_for(slug: str, key: str) -> dict[str, str]:
    return {"Host": f"{slug}.{common.BASE_DOMAIN}", "Authorization": f"Api-Key {key}",
            "Accept": "application/json", "X-Forwarded-Proto": "https"}


def routing_rps(port: int, keys: dict[str, str], seconds: float) -> float:
    targets = [headers_for(s, k) for s, k in keys.items() if s != "benchmove"]
    done = [0] * CONCURRENCY
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = n
        while time.monotonic() < stop:
            conn.request("GET", "/api/v1/me", headers=targets[i % len(targets)])
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"/api/v1/me answered {response.status}")
            done[n] += 1
            i += CONCURRENCY

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started)


def list_latencies(port: int, headers: dict[str, str], count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = []
    for _ in range(count):
        started = time.perf_counter()
        conn.request("GET", "/api/v1/inventory/products?page_size=50", headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"product list answered {response.status}")
        out.append((time.perf_counter() - started) * 1000)
    return out


def move_under_load(port: int, key: str, coordinator_url: str) -> dict:
    """Move benchmove to the other worker while one client reads and writes its API."""
    import psycopg

    headers = headers_for("benchmove", key)
    counts = {"requests": 0, "failed": 0}
    moving = threading.Event()
    finished = threading.Event()

    def client() -> None:
        n = 0
        while not finished.is_set():
            n += 1
            try:
                if n % 3 == 0:
                    status = request(port, "POST", "/api/v1/inventory/categories", headers,
                                     {"name": f"during-move-{n}"})
                    ok = status == 201
                else:
                    ok = request(port, "GET", "/api/v1/inventory/products?page_size=5",
                                 headers) == 200
            except OSError:
                ok = False
            if moving.is_set():
                counts["requests"] += 1
                counts["failed"] += 0 if ok else 1

    thread = threading.Thread(target=client)
    thread.start()
    with psycopg.connect(coordinator_url, autocommit=True) as conn:
        source = conn.execute(
            "SELECT s.nodename, s.nodeport FROM citus_shards s JOIN pg_class c ON "
            "c.oid = s.table_name WHERE c.relnamespace = 't_benchmove'::regnamespace "
            "LIMIT 1").fetchone()
        target = conn.execute(
            "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND "
            "(nodename, nodeport) <> (%s, %s) LIMIT 1", source).fetchone()
        rows = conn.execute("SELECT count(*) FROM t_benchmove.inventory_product").fetchone()[0]
        time.sleep(1)
        moving.set()
        started = time.perf_counter()
        conn.execute("SELECT citus_schema_move('t_benchmove'::regnamespace, %s, %s, "
                     "'force_logical')", target)
        seconds = time.perf_counter() - started
        time.sleep(1)  # requests right after the switch count too
        moving.clear()
        after = conn.execute(
            "SELECT s.nodeport FROM citus_shards s JOIN pg_class c ON c.oid = s.table_name "
            "WHERE c.relnamespace = 't_benchmove'::regnamespace LIMIT 1").fetchone()[0]
    finished.set()
    thread.join()
    assert after == target[1], "the schema did not move"
    return {"move_s": round(seconds, 2), "move_rows": rows,
            "move_requests": counts["requests"], "move_failed_requests": counts["failed"],
            "move_from": f"{source[0]}:{source[1]}", "move_to": f"{target[0]}:{target[1]}"}


# -- orchestration ------------------------------------------------------------------------------
def main() -> None:
    args = common.parse_args(__doc__.split("\n", 1)[0])
    from devtools import citus
    from devtools.services import services

    tarball, reason = citus.source()
    if tarball is None:
        common.log(f"skipped: {reason}")
        common.emit_result({"skipped": reason})
        return
    started_at, load_before = common.utcnow(), os.getloadavg()
    tenants = 10 if args.quick else 30
    rounds = 2 if args.quick else 5
    seconds = 4.0 if args.quick else 8.0
    samples = 50 if args.quick else 200

    prefix = citus.build()
    cluster_was_running = all(citus._running(citus.CLUSTER / f"n{p}") for p in citus.ports())
    coordinator_admin = citus.start(prefix)
    servers: dict[str, common.Gunicorn] = {}
    with services():
        admin_url = os.environ["DATABASE_URL"]
        redis_base = os.environ["REDIS_URL"]
        try:
            urls = {"single": common.create_database(admin_url, DB_SINGLE)}
            for port in citus.ports():
                citus.psql(prefix, port, f'DROP DATABASE IF EXISTS "{DB_CITUS}" WITH (FORCE)')
                citus.psql(prefix, port, f'CREATE DATABASE "{DB_CITUS}"')
            citus.register_database(prefix, DB_CITUS)
            urls["citus"] = common.with_database(coordinator_admin, DB_CITUS)
            base_env = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(64),
                        "BASE_DOMAIN": common.BASE_DOMAIN, "LOG_LEVEL": "WARNING",
                        "RATE_LIMIT_TENANT": "1000000/s", "RATE_LIMIT_API_KEY": "1000000/s",
                        "DJANGO_SETTINGS_MODULE": "saas_platform.settings.production"}
            envs, setups = {}, {}
            for name in ("single", "citus"):
                redis_url = common.with_redis_db(redis_base, common.bench_redis_db(
                    DB_CITUS if name == "citus" else DB_SINGLE))
                import redis

                redis.Redis.from_url(redis_url).flushdb()
                envs[name] = {**base_env, "DATABASE_URL": urls[name], "REDIS_URL": redis_url,
                              "TENANT_DISTRIBUTION": "citus" if name == "citus" else "none"}
                common.log(f"{name}: migrating, provisioning {tenants} tenants"
                           + (f", {MOVE_PRODUCTS:,} products to move" if name == "citus" else ""))
                setups[name] = run_setup(envs[name], tenants, move_tenant=name == "citus")
            for name in ("single", "citus"):
                os.environ.update({k: envs[name][k] for k in ("REDIS_URL", "SECRET_KEY",
                                                               "BASE_DOMAIN")})
                servers[name] = common.Gunicorn(name, urls[name], env={
                    **SERVER_ENV, "TENANT_DISTRIBUTION": envs[name]["TENANT_DISTRIBUTION"],
                    "REDIS_URL": envs[name]["REDIS_URL"],
                    "RATE_LIMIT_TENANT": "1000000/s", "RATE_LIMIT_API_KEY": "1000000/s"})
                servers[name].wait_ready("/healthz", {"Host": common.BASE_DOMAIN})
            rps = {"single": [], "citus": []}
            latency = {"single": [], "citus": []}
            for r in range(rounds):
                for name in (("single", "citus") if r % 2 == 0 else ("citus", "single")):
                    keys = setups[name]["keys"]
                    rps[name].append(routing_rps(servers[name].port, keys, seconds))
                    first = next(iter(keys))
                    latency[name] += list_latencies(servers[name].port,
                                                    headers_for(first, keys[first]), samples)
                common.log(f"round {r + 1}/{rounds}: " + ", ".join(
                    f"{n} {rps[n][-1]:.0f} req/s" for n in rps))
            common.log("moving a 100k-row tenant under load")
            move = move_under_load(servers["citus"].port, setups["citus"]["keys"]["benchmove"],
                                   urls["citus"])
        finally:
            for server in servers.values():
                server.stop()
            try:
                common.drop_database(admin_url, DB_SINGLE)
                for port in citus.ports():
                    citus.psql(prefix, port, f'DROP DATABASE IF EXISTS "{DB_CITUS}" WITH (FORCE)')
            except Exception as exc:
                common.log(f"clean-up: {exc}")
            if not cluster_was_running:
                citus.stop()

    med = {n: common.median(v) for n, v in rps.items()}
    p50 = {n: common.percentile(sorted(v), 0.5) for n, v in latency.items()}
    prov = {n: common.median(setups[n]["provision_ms"]) for n in setups}
    result = {
        "citus_ratio": round(med["citus"] / med["single"], 3),
        "citus_list_latency_ratio": round(p50["citus"] / p50["single"], 3),
        "routing_rps_single": round(med["single"], 1), "routing_rps_citus": round(med["citus"], 1),
        "list_p50_ms_single": round(p50["single"], 2), "list_p50_ms_citus": round(p50["citus"], 2),
        "single_provision_p50_ms": round(prov["single"], 1),
        "citus_provision_p50_ms": round(prov["citus"], 1),
        **move,
    }
    table = common.format_table(
        ["measure", "single PostgreSQL", "Citus (1 coordinator + 2 workers)", "ratio"],
        [["GET /api/v1/me, req/s (median of rounds)", med["single"], med["citus"],
          result["citus_ratio"]],
         ["product list p50, ms", p50["single"], p50["citus"],
          result["citus_list_latency_ratio"]],
         ["provisioning p50, ms", prov["single"], prov["citus"],
          round(prov["citus"] / prov["single"], 3)]])
    move_line = (f"Move of a tenant with {move['move_rows']:,} products "
                 f"({move['move_from']} -> {move['move_to']}, `citus_schema_move`, "
                 f"force_logical): {move['move_s']} s; {move['move_requests']} API requests "
                 f"(2 reads : 1 write) during it, {move['move_failed_requests']} failed.")
    print(table)
    print(move_line)
    if not args.no_doc:
        command = "make bench (bench/citus.py" + (" --quick)" if args.quick else ")")
        common.write_section("Citus: three nodes against one PostgreSQL", "\n\n".join([
            common.run_header(command, started_at, load_before,
                              f"{tenants} tenants per database; {rounds} interleaved rounds of "
                              f"{seconds:.0f} s ({CONCURRENCY} clients) for routing, {samples} "
                              "list requests per round; all three Citus nodes on this machine"),
            table, move_line]))
    common.emit_result(result)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--setup":
        setup(int(sys.argv[2]), "--move" in sys.argv)
    else:
        main()
