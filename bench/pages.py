"""What the tenant web app's pages cost under load, and what the browser downloads.

One tenant with 10,000 products in 3 warehouses and the attendance demo (sites, shifts,
employees, two months of records), served by gunicorn as shipped (deploy/gunicorn.conf.py, the
production settings), driven over loopback by 16 signed-in sessions (one keep-alive connection
and one session cookie each), each requesting the main pages in turn: the dashboard, the
product list (plain, searched, low stock), a product's detail, the low-stock alerts, the
attendance page, the records and a timesheet. Reports p50/p95 per page and overall
(``pages_p95_ms``, target < 150 ms) and ``css_js_kb_gzip``: the design system and scripts every
page loads (app.css, app.js, htmx), gzip-compressed (target < 100 KB). Also
``cpu_ms_per_page``: the CPU the gunicorn workers and the PostgreSQL backends spent per page
during the load run. On a shared machine the latencies follow the load of the moment; the CPU
per page does much less, and says what the target needs: on 2 cores a p95 under 150 ms with 16
sessions takes more than ~107 pages/s, i.e. under ~18 ms of CPU per page, and the load shared
fairly between the workers: with stock gthread workers, which keep the connections they first
accepted, the sessions on the busiest worker waited three times longer than the others
(saas_platform/web_worker.py).

    .venv/bin/python bench/pages.py [--quick]
"""

from __future__ import annotations

import gzip
import http.client
import itertools
import json
import os
import random
import re
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import _common as common

DATABASE = "saas_bench_pages"
PRODUCTS = 10_000
WAREHOUSES = 3
CONCURRENCY = 16
TARGETS = {"pages_p95_ms": 150.0, "css_js_kb_gzip": 100.0}
ROOT = Path(__file__).resolve().parent.parent
ASSETS = [ROOT / "tenant_apps/core/static/core/app.css",
          ROOT / "tenant_apps/core/static/core/app.js"]
SEARCH_WORDS = ["bolt", "screw", "cable", "glove", "pipe", "paint", "tape", "hinge"]


def asset_weight() -> tuple[float, dict[str, float]]:
    """KB after gzip (level 9, as a CDN or WhiteNoise's compressed files would serve them)."""
    import django_htmx

    htmx = Path(django_htmx.__file__).parent / "static" / "django_htmx" / "htmx-2.min.js"
    sizes = {path.name: len(gzip.compress(path.read_bytes(), 9)) / 1024
             for path in [*ASSETS, htmx]}
    return sum(sizes.values()), sizes


def setup_tenant() -> tuple[list[str], dict]:
    """Migrate, provision the tenant and its data; one signed-in session per connection."""
    from decimal import Decimal

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django_tenants.utils import schema_context

    from shared_apps.accounts.models import User
    from tenant_apps.attendance.demo import seed as seed_attendance
    from tenant_apps.attendance.models import Employee
    from tenant_apps.inventory.models import Category, Product, Warehouse
    from tenant_apps.inventory.services import (
        MovementInput,
        low_stock_check,
        stock_movements_record,
    )
    from tenants.provisioning import tenant_provision

    started = time.perf_counter()
    call_command("migrate_all", verbosity=0)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        ctx = tenant_provision(slug="benchpages", name="Bench Pages",
                               owner_email="o@bench.example", owner_password="bench-password-1")
    common.log(f"migrated and provisioned in {time.perf_counter() - started:.1f}s")
    rng = random.Random(11)
    started = time.perf_counter()
    with schema_context(ctx.tenant.schema_name):
        categories = [Category.objects.create(name=f"Category {i}") for i in range(20)]
        warehouses = [Warehouse.objects.create(code=f"WH{i}", name=f"Warehouse {i}")
                      for i in range(1, WAREHOUSES + 1)]
        nouns = ["hex bolt", "wood screw", "cable", "glove", "pipe", "paint", "tape", "hinge",
                 "washer", "bracket"]
        products = Product.objects.bulk_create([
            Product(sku=f"SKU-{i:06d}", name=f"{rng.choice(nouns).capitalize()} {i}",
                    category=rng.choice(categories), cost=Decimal(rng.randint(5, 5000)) / 100,
                    price=Decimal(rng.randint(10, 9000)) / 100,
                    reorder_level=Decimal(rng.choice([0, 10, 50])))
            for i in range(PRODUCTS)], batch_size=2000)
        stock_movements_record(movements=[
            MovementInput(kind="receipt", product_id=p.pk, quantity=Decimal(rng.randint(1, 500)),
                          to_warehouse_id=rng.choice(warehouses).pk) for p in products],
            limit=None)
        low_stock_check()
        seed_attendance()
        employee = Employee.objects.order_by("pk").first()
        sessions = []
        for n in range(CONCURRENCY):
            user = User.objects.create_user(email=f"admin{n}@bench.example", password=None,
                                            role="admin")
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            sessions.append(store.session_key)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    connection.set_schema_to_public()
    common.log(f"{PRODUCTS} products, attendance demo, sessions in "
               f"{time.perf_counter() - started:.1f}s")
    return sessions, {"product": products[PRODUCTS // 2].pk, "employee": employee.pk}


def page_paths(ids: dict) -> dict[str, list[str]]:
    return {
        "dashboard": ["/"],
        "products": ["/inventory/"],
        "products_search": [f"/inventory/?q={w}" for w in SEARCH_WORDS],
        "products_low": ["/inventory/?low=yes"],
        "product_detail": [f"/inventory/products/{ids['product']}/"],
        "alerts": ["/inventory/alerts/"],
        "attendance": ["/attendance/"],
        "records": ["/attendance/records/"],
        "timesheet": [f"/attendance/timesheets/?employee={ids['employee']}"],
    }


def solo_ms(port: int, host: str, session: str, paths: dict[str, list[str]]) -> dict[str, float]:
    """Median latency of each page requested alone (one session, nothing else in flight): what
    the page itself costs, without the queueing of the load run."""
    headers = {"Host": host, "Cookie": f"sessionid={session}", "X-Forwarded-Proto": "https"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    result = {}
    for name, choices in paths.items():
        samples = []
        for n in range(7):
            started = time.perf_counter()
            conn.request("GET", choices[n % len(choices)], headers=headers)
            conn.getresponse().read()
            samples.append(time.perf_counter() - started)
        result[name] = common.median(samples) * 1000
    conn.close()
    return result


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_snapshot(server_pid: int) -> dict[tuple[str, str], float]:
    """CPU seconds so far of each gunicorn worker and of each PostgreSQL backend serving the
    benchmark's database (its process title names it)."""
    seconds: dict[tuple[str, str], float] = {}
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        used = (int(fields[11]) + int(fields[12])) / _TICK
        if int(fields[1]) == server_pid:
            seconds[("server", pid)] = used
        elif f" {DATABASE} " in title:
            seconds[("database", pid)] = used
    return seconds


def cpu_ms_per_page(before: dict, after: dict, pages: int) -> dict[str, float]:
    """CPU per page served, by the web workers and by PostgreSQL: what the machine's two cores
    must supply per page, whatever else runs on them (wall times are not)."""
    used = {"server": 0.0, "database": 0.0}
    for (kind, pid), seconds in after.items():
        used[kind] += seconds - before.get((kind, pid), 0.0)
    return {f"cpu_ms_per_page_{kind}": round(value * 1000 / max(pages, 1), 1)
            for kind, value in used.items()}


def run_load(port: int, host: str, sessions: list[str], paths: dict[str, list[str]],
             seconds: float) -> tuple[dict[str, list[float]], int, str, float]:
    names = list(paths)
    counter = itertools.count()
    latencies: dict[str, list[float]] = defaultdict(list)
    errors = [0]
    first_error = [""]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(session: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Host": host, "Cookie": f"sessionid={session}", "X-Forwarded-Proto": "https",
                   "Accept": "text/html"}
        while time.perf_counter() < deadline:
            n = next(counter)
            name = names[n % len(names)]
            path = paths[name][(n // len(names)) % len(paths[name])]
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and b"</html>" in body
                if not ok and not first_error[0]:
                    first_error[0] = f"{path}: HTTP {response.status} {body[:200]!r}"
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                ok = False
                first_error[0] = first_error[0] or repr(exc)
            elapsed = time.perf_counter() - started
            with lock:
                latencies[name].append(elapsed)
                errors[0] += not ok
        conn.close()

    threads = [threading.Thread(target=worker, args=(s,)) for s in sessions]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], first_error[0], time.perf_counter() - began


def main() -> None:
    args = common.parse_args(__doc__.split("\n\n")[0])
    seconds = 8.0 if args.quick else 30.0
    run_started, load_before = common.utcnow(), os.getloadavg()
    command = ".venv/bin/python bench/pages.py" + (" --quick" if args.quick else "")
    kb, sizes = asset_weight()
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    # As the image does at build time: the production settings serve hashed, compressed files.
    os.environ["STATIC_ROOT"] = static_root
    with common.bench_environment([DATABASE]) as urls:
        common.django_setup()
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        sessions, ids = setup_tenant()
        pg_version = common.postgres_version(urls[DATABASE])
        from django.db import connections

        connections.close_all()
        server = common.Gunicorn("pages", urls[DATABASE],
                                 env={"GUNICORN_ACCESS_LOG": os.environ.get(
                                     "GUNICORN_ACCESS_LOG", "-")})
        host = f"benchpages.{common.BASE_DOMAIN}"
        headers = {"Host": host, "Cookie": f"sessionid={sessions[0]}",
                   "X-Forwarded-Proto": "https"}
        try:
            server.wait_ready("/inventory/", headers)
            paths = page_paths(ids)
            run_load(server.port, host, sessions, paths, seconds=3.0)  # warm-up
            alone = solo_ms(server.port, host, sessions[0], paths)
            cpu_before = cpu_snapshot(server.process.pid)
            latencies, errors, first_error, took = run_load(server.port, host, sessions, paths,
                                                             seconds=seconds)
            cpu = cpu_ms_per_page(cpu_before, cpu_snapshot(server.process.pid),
                                  sum(len(v) for v in latencies.values()))
        finally:
            server.stop()
            shutil.rmtree(static_root, ignore_errors=True)
    every = sorted(x for values in latencies.values() for x in values)
    rows = []
    for name, values in latencies.items():
        values.sort()
        rows.append([name, alone[name], len(values), common.percentile(values, 0.5) * 1000,
                     common.percentile(values, 0.95) * 1000])
    rows.append(["all pages", common.median(list(alone.values())), len(every),
                 common.percentile(every, 0.5) * 1000, common.percentile(every, 0.95) * 1000])
    table = common.format_table(["page", "alone ms", "requests", "p50 ms", "p95 ms"], rows)
    p95 = common.percentile(every, 0.95) * 1000
    result = {
        "pages_p95_ms": round(p95, 1),
        "pages_p50_ms": round(common.percentile(every, 0.5) * 1000, 1),
        "pages_rps": round(len(every) / took, 1),
        "css_js_kb_gzip": round(kb, 1),
        **cpu,
        "cpu_ms_per_page": round(sum(cpu.values()), 1),
        "errors": errors,
        "quick": args.quick,
    }
    verdicts = ", ".join(
        f"{key} {result[key]} (target < {target:g}: {'met' if result[key] < target else 'MISSED'})"
        for key, target in TARGETS.items())
    verdicts += (
        f". With {CONCURRENCY} sessions each sending its next request as soon as it has an "
        f"answer, the mean latency is {CONCURRENCY} / throughput, so a p95 under "
        f"{TARGETS['pages_p95_ms']:g} ms needs well over "
        f"{CONCURRENCY * 1000 / TARGETS['pages_p95_ms']:.0f} pages/s; this run served "
        f"{result['pages_rps']:g}/s, with a page alone taking "
        f"{common.median(list(alone.values())):.0f} ms (median) on this machine at the time. "
        f"CPU per page: {result['cpu_ms_per_page']:g} ms (web workers "
        f"{result['cpu_ms_per_page_server']:g}, PostgreSQL {result['cpu_ms_per_page_database']:g}"
        f"); two cores serve at most {2000 / max(result['cpu_ms_per_page'], 0.1):.0f} pages/s "
        f"with nothing else running")
    print(table)
    print()
    print(f"{verdicts}; {errors} errors {first_error}")
    print()
    if not args.no_doc:
        method = (
            f"{server_shape_of(server)}, production settings; {CONCURRENCY} signed-in sessions "
            f"(admins), one keep-alive connection each, requesting the pages above in turn for "
            f"{seconds:g} s after a 3 s warm-up. One tenant with {PRODUCTS:,} products in "
            f"{WAREHOUSES} warehouses (with stock and low-stock alerts) and the attendance demo; "
            f"{pg_version}. Weight: "
            + ", ".join(f"{name} {size:.1f} KB" for name, size in sizes.items())
            + " gzip-compressed (level 9).")
        common.write_section("Tenant web pages (bench/pages.py)", "\n\n".join([
            common.run_header(command, run_started, load_before), method, table, verdicts,
            f"Last line of output:\n\n    {json.dumps(result, sort_keys=True)}"]))
    common.emit_result(result)


def server_shape_of(server) -> str:
    return re.sub(r"\s+", " ", server.shape())


if __name__ == "__main__":
    main()
