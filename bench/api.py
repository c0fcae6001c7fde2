"""What the inventory API costs under load.

One tenant with 10,000 products in 3 warehouses, served by gunicorn as shipped
(deploy/gunicorn.conf.py: CPUs + 1 gthread workers x 8 threads; set WEB_CONCURRENCY or
GUNICORN_THREADS to try another shape), the production settings and persistent database
connections, driven over loopback by a Python load generator holding 16 connections,
authenticated with an API key as an integrator would be. Three scenarios, one after the other:

* ``list``      GET /api/v1/inventory/products?search=<word>&page_size=50 (a full page of 50,
                with its count), rotating over search words;
* ``movement``  POST /api/v1/inventory/movements, one receipt each, on random products and
                warehouses;
* ``bulk``      POST /api/v1/inventory/movements/bulk with 500 receipts each; reported as rows/s;
* ``baseline``  GET /api/v1/me, the platform's cost of any authenticated API request (routing,
                API key, throttles, rendering), measured first, for comparison.

Afterwards every stock level is checked against the sum of its movements.

    .venv/bin/python bench/api.py [--quick]
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import _common as common

DATABASE = "saas_bench_api"
PRODUCTS = 10_000
WAREHOUSES = 3
# The shipped gunicorn configuration (deploy/gunicorn.conf.py) at its defaults, unless
# WEB_CONCURRENCY / GUNICORN_THREADS are set to try another shape.
SERVER_ENV = {"GUNICORN_ACCESS_LOG": os.environ.get("GUNICORN_ACCESS_LOG", "-")}
CONCURRENCY = 16
BULK_ITEMS = 500
PAGE_SIZE = 50
SEARCH_WORDS = ["bolt", "screw", "cable", "m8", "glove", "pipe", "paint", "box", "drill", "tape"]
TARGETS = {"list_p99_ms": 100.0}


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    rows: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""
    # CPU seconds used during the run by the gunicorn workers, the PostgreSQL backends of the
    # benchmark's database, and this load generator: what a request costs, whatever else the
    # (shared) machine was doing at the time.
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    rows: int = 1  # movements it records (bulk)
    expect: int = 200


# -- load generator ---------------------------------------------------------------------------
def run_load(port: int, headers: dict[str, str], make_request: Callable[[int], Request], *,
             seconds: float, concurrency: int = CONCURRENCY, server_pid: int = 0) -> LoadResult:
    """``concurrency`` threads, each with one keep-alive http.client connection, sending
    requests built by ``make_request(n)`` until ``seconds`` have passed."""
    counter = itertools.count()
    per_thread = [LoadResult() for _ in range(concurrency)]
    deadline = time.perf_counter() + seconds

    def worker(result: LoadResult) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < deadline:
            request = make_request(next(counter))
            send_headers = dict(headers)
            if request.body is not None:
                send_headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            try:
                conn.request(request.method, request.path, body=request.body,
                             headers=send_headers)
                response = conn.getresponse()
                body = response.read()
                ok = response.status == request.expect
                if not ok and not result.first_error:
                    result.first_error = f"HTTP {response.status}: {body[:300]!r}"
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                ok = False
                result.first_error = result.first_error or repr(exc)
            result.latencies.append(time.perf_counter() - started)
            result.requests += 1
            result.errors += not ok
            result.rows += request.rows if ok else 0
        conn.close()

    threads = [threading.Thread(target=worker, args=(r,)) for r in per_thread]
    cpu_before = cpu_snapshot(server_pid)
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = LoadResult(seconds=time.perf_counter() - began)
    cpu_after = cpu_snapshot(server_pid)
    total.cpu = cpu_used(cpu_before, cpu_after)
    for result in per_thread:
        total.requests += result.requests
        total.errors += result.errors
        total.rows += result.rows
        total.latencies.extend(result.latencies)
        total.first_error = total.first_error or result.first_error
    return total


# -- CPU accounting ---------------------------------------------------------------------------
_TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_snapshot(server_pid: int) -> dict[tuple[str, str], float]:
    """CPU seconds so far, per process, of the gunicorn workers and of the PostgreSQL backends
    serving the benchmark's database (their process titles name it), and of this process."""
    seconds: dict[tuple[str, str], float] = {("client", "self"): time.process_time()}
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        stat = _proc_stat(pid)
        if stat is None:
            continue
        parent, used = stat
        if parent == server_pid:
            seconds[("server", pid)] = used
        elif f" {DATABASE} " in _cmdline(pid):
            seconds[("database", pid)] = used
    return seconds


def cpu_used(before: dict[tuple[str, str], float],
             after: dict[tuple[str, str], float]) -> dict[str, float]:
    """CPU seconds used between two snapshots, per kind. A process that started in between
    counts whole; one that ended in between is lost (its last seconds are unknowable)."""
    used = {"server": 0.0, "database": 0.0, "client": 0.0}
    for (kind, pid), seconds in after.items():
        used[kind] += seconds - before.get((kind, pid), 0.0)
    return used


# -- set-up -----------------------------------------------------------------------------------
ADJECTIVES = ["zinc plated", "stainless", "galvanised", "black", "white", "heavy duty",
              "compact", "industrial", "premium", "economy"]
NOUNS = ["hex bolt", "wood screw", "machine screw", "washer", "nut", "cable", "cable tie",
         "glove", "pipe", "pipe clamp", "paint", "primer", "box", "drill bit", "tape",
         "hinge", "bracket", "sealant", "brush", "anchor"]
SIZES = ["M4", "M5", "M6", "M8", "M10", "M12", "3.5x30", "4x40", "5x60", "10 m", "25 m", "1 l",
         "5 l", "S", "M", "L", "XL"]


def setup_tenant() -> tuple[dict[str, str], dict]:
    """Migrate, provision the tenant, create an API key and the catalog; return the request
    headers and the ids the load generator needs."""
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django_tenants.utils import schema_context

    from shared_apps.accounts.models import User
    from tenant_apps.core.services.api_keys import api_key_create
    from tenant_apps.inventory.models import Category, Product, Warehouse
    from tenant_apps.inventory.services import MovementInput, stock_movements_record
    from tenants.provisioning import tenant_provision

    started = time.perf_counter()
    call_command("migrate_all", verbosity=0)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        ctx = tenant_provision(slug="benchapi", name="Bench API", owner_email="o@bench.example",
                               owner_password="bench-password-1")
    common.log(f"migrated and provisioned in {time.perf_counter() - started:.1f}s")
    rng = random.Random(7)
    started = time.perf_counter()
    with schema_context(ctx.tenant.schema_name):
        owner = User.objects.get()
        raw_key = api_key_create(name="bench", scope="read_write", created_by=owner).raw_key
        categories = [Category.objects.create(name=n.title()) for n in NOUNS]
        warehouses = [Warehouse.objects.create(code=f"WH{i}", name=f"Warehouse {i}")
                      for i in range(1, WAREHOUSES + 1)]
        products = Product.objects.bulk_create([
            Product(sku=f"SKU-{i:06d}", barcode=f"40{i:011d}",
                    name=f"{rng.choice(NOUNS).capitalize()} {rng.choice(SIZES)} "
                         f"{rng.choice(ADJECTIVES)}",
                    category=rng.choice(categories), cost=Decimal(rng.randint(5, 5000)) / 100,
                    price=Decimal(rng.randint(10, 9000)) / 100,
                    reorder_level=Decimal(rng.choice([0, 10, 50])))
            for i in range(PRODUCTS)], batch_size=2000)
        stock_movements_record(movements=[
            MovementInput(kind="receipt", product_id=p.pk, quantity=Decimal(rng.randint(1, 500)),
                          to_warehouse_id=rng.choice(warehouses).pk) for p in products],
            limit=None)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # now, rather than autovacuum mid-run
    connection.set_schema_to_public()
    common.log(f"{PRODUCTS} products with stock in {time.perf_counter() - started:.1f}s")
    headers = {"Host": f"benchapi.{common.BASE_DOMAIN}", "Authorization": f"Api-Key {raw_key}",
               "Accept": "application/json", "X-Forwarded-Proto": "https"}
    return headers, {"products": [p.pk for p in products],
                     "warehouses": [w.pk for w in warehouses],
                     "schema": ctx.tenant.schema_name}


def ledger_check(schema: str) -> int:
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenant_apps.inventory.selectors import stock_level_discrepancies

    with schema_context(schema):
        count = len(stock_level_discrepancies())
    connection.set_schema_to_public()
    return count


# -- scenarios --------------------------------------------------------------------------------
def scenarios(ids: dict) -> dict[str, Callable[[int], Request]]:
    products, warehouses = ids["products"], ids["warehouses"]

    def receipt(rng: random.Random) -> dict:
        return {"kind": "receipt", "product": rng.choice(products),
                "quantity": str(rng.randint(1, 20)), "to_warehouse": rng.choice(warehouses),
                "reference": f"BENCH-{rng.randrange(10**6)}"}

    def product_list(n: int) -> Request:
        word = SEARCH_WORDS[n % len(SEARCH_WORDS)]
        return Request("GET", f"/api/v1/inventory/products?search={word}&page_size={PAGE_SIZE}")

    def movement(n: int) -> Request:
        body = json.dumps(receipt(random.Random(n))).encode()
        return Request("POST", "/api/v1/inventory/movements", body, expect=201)

    def bulk(n: int) -> Request:
        rng = random.Random(n)
        body = json.dumps({"items": [receipt(rng) for _ in range(BULK_ITEMS)]}).encode()
        return Request("POST", "/api/v1/inventory/movements/bulk", body, rows=BULK_ITEMS,
                       expect=201)

    def baseline(n: int) -> Request:
        return Request("GET", "/api/v1/me")

    return {"baseline": baseline, "list": product_list, "movement": movement, "bulk": bulk}


def check_list_page(port: int, headers: dict[str, str]) -> int:
    """The list scenario really returns full pages: every search word matches over a page."""
    smallest = PRODUCTS
    for word in SEARCH_WORDS:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/api/v1/inventory/products?search={word}&page_size={PAGE_SIZE}",
                     headers=headers)
        response = conn.getresponse()
        body = json.loads(response.read())
        conn.close()
        if response.status != 200 or len(body["results"]) != PAGE_SIZE:
            raise RuntimeError(f"search {word!r}: HTTP {response.status}, "
                               f"{len(body.get('results', []))} rows")
        smallest = min(smallest, body["count"])
    return smallest


# -- the run ----------------------------------------------------------------------------------
def main() -> None:
    args = common.parse_args(__doc__.split("\n\n")[0])
    seconds = {"baseline": 5.0, "list": 8.0, "movement": 8.0, "bulk": 8.0} if args.quick else {
        "baseline": 10.0, "list": 30.0, "movement": 20.0, "bulk": 20.0}
    run_started, load_before = common.utcnow(), os.getloadavg()
    command = ".venv/bin/python bench/api.py" + (" --quick" if args.quick else "")
    # Out of reach (6000/min per tenant by default): the limiters still count every request
    # (one Redis INCR each), but never refuse one.
    os.environ["RATE_LIMIT_TENANT"] = os.environ["RATE_LIMIT_API_KEY"] = "100000/s"

    with common.bench_environment([DATABASE]) as urls:
        common.django_setup()
        headers, ids = setup_tenant()
        pg_version = common.postgres_version(urls[DATABASE])
        from django.db import connections

        connections.close_all()
        server = common.Gunicorn("api", urls[DATABASE], env=SERVER_ENV)
        results: dict[str, LoadResult] = {}
        try:
            server.wait_ready("/api/v1/inventory/warehouses", headers)
            matches = check_list_page(server.port, headers)
            for name, make in scenarios(ids).items():
                run_load(server.port, headers, make, seconds=2.0)  # warm-up, not recorded
                results[name] = result = run_load(server.port, headers, make,
                                                  seconds=seconds[name],
                                                  server_pid=server.process.pid)
                common.log(f"{name:9} {result.rps:8.1f} req/s  {result.rows / result.seconds:9.1f}"
                           f" rows/s  errors {result.errors} {result.first_error}")
        finally:
            server.stop()
        discrepancies = ledger_check(ids["schema"])

    report(results, args=args, command=command, started=run_started, load_before=load_before,
           pg_version=pg_version, seconds=seconds, matches=matches, discrepancies=discrepancies,
           server_shape=server.shape())


def report(results: dict[str, LoadResult], *, args, command: str, started, load_before,
           pg_version: str, seconds: dict[str, float], matches: int,
           discrepancies: int, server_shape: str) -> None:
    stats = {}
    for name, result in results.items():
        latencies = sorted(result.latencies)
        per_request = {key: 1000 * value / max(result.requests, 1)
                       for key, value in result.cpu.items()}
        stats[name] = {
            "rps": result.rps, "rows_per_s": result.rows / result.seconds,
            "p50_ms": common.percentile(latencies, 0.50) * 1000,
            "p99_ms": common.percentile(latencies, 0.99) * 1000,
            "requests": result.requests, "errors": result.errors,
            "cpu_ms": per_request,
            # What two cores doing nothing else would sustain, at this CPU cost per request.
            "capacity_rps": 2000 / max(sum(per_request.values()), 0.001),
        }
    table = common.format_table(
        ["scenario", "req/s", "rows/s", "p50 ms", "p99 ms", "requests", "errors"],
        [[name, s["rps"], s["rows_per_s"], s["p50_ms"], s["p99_ms"], s["requests"], s["errors"]]
         for name, s in stats.items()])
    cpu_table = common.format_table(
        ["scenario", "gunicorn CPU ms/req", "PostgreSQL CPU ms/req", "load generator CPU ms/req",
         "req/s two idle cores would sustain"],
        [[name, s["cpu_ms"]["server"], s["cpu_ms"]["database"], s["cpu_ms"]["client"],
          s["capacity_rps"]] for name, s in stats.items()])
    list_p99 = stats["list"]["p99_ms"]
    verdict = "met" if list_p99 < TARGETS["list_p99_ms"] else "MISSED"
    capacity = stats["list"]["capacity_rps"]
    summary = (
        f"list p99 {list_p99:.1f} ms at {CONCURRENCY} connections: target "
        f"< {TARGETS['list_p99_ms']:.0f} ms {verdict}. With {CONCURRENCY} connections each "
        f"sending its next request as soon as it has an answer, the mean latency is "
        f"{CONCURRENCY} / throughput, so a p99 under {TARGETS['list_p99_ms']:.0f} ms needs well "
        f"over {CONCURRENCY * 1000 / TARGETS['list_p99_ms']:.0f} list requests/s; at "
        f"{sum(stats['list']['cpu_ms'].values()):.1f} ms of CPU per list request (of which "
        f"{sum(stats['baseline']['cpu_ms'].values()):.1f} ms is the platform's floor, see "
        f"`baseline`) two idle cores sustain about {capacity:.0f}/s, i.e. a mean latency of "
        f"{CONCURRENCY * 1000 / capacity:.0f} ms at best. Ledger check after the run: "
        f"{discrepancies} stock level(s) differing from the sum of their movements.")
    print(table)
    print()
    print(cpu_table)
    print()
    print(summary)
    print()
    result = {
        "list_p99_ms": round(list_p99, 2),
        "list_p50_ms": round(stats["list"]["p50_ms"], 2),
        "list_rps": round(stats["list"]["rps"], 1),
        "movement_rps": round(stats["movement"]["rps"], 1),
        "movement_p50_ms": round(stats["movement"]["p50_ms"], 2),
        "movement_p99_ms": round(stats["movement"]["p99_ms"], 2),
        "bulk_rows_per_s": round(stats["bulk"]["rows_per_s"], 1),
        "bulk_p99_ms": round(stats["bulk"]["p99_ms"], 2),
        "list_cpu_ms_per_request": round(sum(stats["list"]["cpu_ms"].values()), 2),
        "baseline_rps": round(stats["baseline"]["rps"], 1),
        "baseline_cpu_ms_per_request": round(sum(stats["baseline"]["cpu_ms"].values()), 2),
        "errors": sum(s["errors"] for s in stats.values()),
        "ledger_discrepancies": discrepancies,
        "quick": args.quick,
    }
    if not args.no_doc:
        method = (
            f"{server_shape}, production settings, persistent database connections; a "
            f"Python load generator on the same machine with {CONCURRENCY} connections "
            f"(kept alive where the server allows) over loopback, authenticated with a "
            f"`read_write` API key (throttles raised out of the way). One tenant, "
            f"{PRODUCTS:,} products in {WAREHOUSES} warehouses, each with stock. `list`: "
            f"`GET /api/v1/inventory/products?search=<word>&page_size={PAGE_SIZE}` rotating over "
            f"{len(SEARCH_WORDS)} words, each matching at least {matches:,} products (so every "
            f"page is full and its count is real work); `movement`: one receipt per POST; "
            f"`bulk`: {BULK_ITEMS} receipts per POST, random products. Each scenario "
            f"{seconds['list']:g}/{seconds['movement']:g}/{seconds['bulk']:g} s after a 2 s "
            f"warm-up; `baseline` (GET /api/v1/me, {seconds['baseline']:g} s) is the platform's "
            f"floor for any authenticated request; {pg_version}."
        )
        body = "\n\n".join([
            common.run_header(command, started, load_before), method, table,
            "CPU per request, measured from /proc during each scenario (the machine is shared, "
            "so req/s and latencies depend on what else ran; CPU per request much less, though "
            "it too rises by a fifth or so on a busy machine):",
            cpu_table, summary,
            f"Last line of output:\n\n    {json.dumps(result, sort_keys=True)}",
        ])
        common.write_section("Inventory API (bench/api.py)", body)
    common.emit_result(result)


if __name__ == "__main__":
    main()
