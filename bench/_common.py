"""What every benchmark shares: its own database and Redis db, Django set-up, tables, the results
file. Not a benchmark itself (the leading underscore keeps ``make bench`` from running it).

A benchmark never touches the dev database ``saas``: it creates ``saas_bench`` (and friends) on
the same server, drops them at the end, and uses a Redis db index of its own (``bench_redis_db``),
so that another process bumping the routing version in db 0 (the test suite does, constantly)
cannot flush the benchmark's route cache mid-run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as `python bench/x.py`, sys.path[0] is bench/; the project packages live one up.
    sys.path.insert(0, str(ROOT))

RESULTS_FILE = ROOT / "docs" / "benchmarks.md"
BASE_DOMAIN = "bench.test"


def bench_redis_db(database: str) -> int:
    """A Redis db index of the benchmark's own (8-15; dev and tests use the low ones), derived
    from its database name so that two different benchmarks running at once do not flush or
    bump each other's routing version."""
    return 8 + zlib.crc32(database.encode()) % 8


def log(message: str) -> None:
    # Progress goes to stderr: stdout is the table and, last, the one JSON line.
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(
    description: str, extra: Callable[[argparse.ArgumentParser], object] | None = None
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds and samples; finishes within 5 minutes"
    )
    parser.add_argument(
        "--no-doc",
        action="store_true",
        help=f"do not write the results into {RESULTS_FILE.relative_to(ROOT)}",
    )
    if extra is not None:
        extra(parser)
    return parser.parse_args()


# -- database and Redis of the benchmark's own -------------------------------------------------
def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead (TCP or django-environ's socket form)."""
    parts = urlsplit(url)
    head, _sep, _old = parts.path.rpartition("/")
    return urlunsplit(parts._replace(path=f"{head}/{name}"))


def with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        # urlunsplit would turn unix:///path into unix:/path, which redis-py rejects.
        query = dict(parse_qsl(parts.query))
        query["db"] = str(db)
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))


def _admin_connection(url: str):
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    return psycopg.connect(
        dbname=config["NAME"],
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=str(config["PORT"]) if config.get("PORT") else None,
        autocommit=True,
    )


def _checked_db_name(name: str) -> str:
    # Names are the benchmark's own constants; the check keeps them out of harm's way anyway.
    if not re.fullmatch(r"saas_bench[a-z_]*", name):
        raise ValueError(f"refusing to create or drop database {name!r}")
    return name


def create_database(admin_url: str, name: str) -> str:
    """(Re)create database ``name`` next to the one ``admin_url`` names; return its URL."""
    name = _checked_db_name(name)
    with _admin_connection(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    name = _checked_db_name(name)
    with _admin_connection(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def bench_environment(databases: Sequence[str]) -> Iterator[dict[str, str]]:
    """Embedded services as ``make test`` starts them, fresh ``databases`` on that server, and
    the environment the production settings need. Yields {database name: URL}; the databases
    are dropped afterwards, the servers stopped if this started them."""
    from devtools.services import services

    with services():
        admin_url = os.environ["DATABASE_URL"]
        os.environ["REDIS_URL"] = with_redis_db(
            os.environ["REDIS_URL"], bench_redis_db(databases[0])
        )
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(64)
        os.environ["BASE_DOMAIN"] = BASE_DOMAIN
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        # The per-tenant rate limit out of reach: a benchmark measures serving, not refusing.
        # (The limiter still runs: one Redis INCR per request, as in production.)
        os.environ["RATE_LIMIT_TENANT"] = "1000000/s"
        urls = {name: create_database(admin_url, name) for name in databases}
        # The routing version and cache of an earlier run must not leak into this one.
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
        os.environ["DATABASE_URL"] = urls[databases[0]]
        try:
            yield urls
        finally:
            os.environ["DATABASE_URL"] = admin_url
            for name in databases:
                try:
                    drop_database(admin_url, name)
                except Exception as exc:  # the results matter more than the clean-up
                    log(f"could not drop database {name}: {exc}")


def django_setup(settings_module: str = "saas_platform.settings.production") -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    # Mail is built and rendered as in production but kept in memory: no SMTP server here, and
    # a refused connection per provisioning would time the error path.
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the web server ---------------------------------------------------------------------------
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


class Gunicorn:
    """gunicorn started with the configuration the project ships (deploy/gunicorn.conf.py), as
    production runs it, on a free loopback port; its log goes to a temporary file that is shown
    if it fails to come up. ``env`` overrides that configuration's environment knobs
    (WEB_CONCURRENCY, GUNICORN_THREADS, ...)."""

    def __init__(self, name: str, database_url: str, *,
                 settings_module: str = "saas_platform.settings.production",
                 env: dict[str, str] | None = None) -> None:
        self.name = name
        self.env = env or {}
        self.port = free_port()
        # Kept open for the server's lifetime and removed in stop(), hence no `with`.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix=f"bench-{name}-", suffix=".log", delete=False)
        self.database = database_url.rsplit("/", 1)[1].partition("?")[0]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "saas_platform.wsgi:application",
             "--config", str(GUNICORN_CONFIG), "--bind", f"127.0.0.1:{self.port}",
             "--chdir", str(ROOT)],
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": settings_module,
                "DATABASE_URL": database_url,
                "LOG_LEVEL": "WARNING",
                # Persistent connections that outlive the run, so that each worker keeps one
                # PostgreSQL backend whose CPU time can be read, and no worker is recycled
                # mid-run: a benchmark measures the steady state.
                "CONN_MAX_AGE": "3600",
                "GUNICORN_MAX_REQUESTS": "0",
                **self.env,
            },
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path: str, headers: dict[str, str], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path, headers=headers)
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn ({self.name}) did not come up; log:\n"
                           + Path(self.log.name).read_text()[-3000:])

    def shape(self) -> str:
        """How the server runs, in words, for the results file."""
        env = {**os.environ, **self.env}
        threads = int(env.get("GUNICORN_THREADS") or 8)  # deploy/gunicorn.conf.py's defaults
        cpus = os.cpu_count() or 1
        workers = env.get("WEB_CONCURRENCY") or str(cpus + 1 if threads > 1 else 2 * cpus + 1)
        from saas_platform.web_worker import DEFAULT_MAX_INFLIGHT

        cap = env.get("GUNICORN_MAX_INFLIGHT") or DEFAULT_MAX_INFLIGHT
        kind = (f"gthread workers x {threads} threads, at most {cap} requests computed at once "
                "per worker (saas_platform/web_worker.py)" if threads > 1 else "sync workers")
        log = "access log on" if env.get("GUNICORN_ACCESS_LOG", "-") else "access log off"
        return f"gunicorn with deploy/gunicorn.conf.py: {workers} {kind}, {log}"

    def worker_pids(self) -> list[int]:
        master = self.process.pid
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


# -- statistics and output --------------------------------------------------------------------
def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, which reads fine in a terminal too."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3f}"
    return str(value)


def machine_note(load_before: tuple[float, float, float] | None = None) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{v:.2f}" for v in (load_before or os.getloadavg()))
    return (
        f"{os.cpu_count()} CPU(s) ({cpu}), Linux {platform.release()}, "
        f"Python {platform.python_version()}, load average before the run {load}; "
        "a shared machine (other test suites running): req/s and latencies move by tens of "
        "percent between runs, CPU-time figures and ratios much less"
    )


def postgres_version(url: str) -> str:
    with _admin_connection(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0]}" if row else "PostgreSQL ?"


def write_section(name: str, body: str) -> None:
    """Replace the section ``## name`` of docs/benchmarks.md (up to the next ``## ``) with
    ``body``, keeping every other section."""
    heading = f"## {name}"
    text = (
        RESULTS_FILE.read_text()
        if RESULTS_FILE.exists()
        else (
            "# Benchmarks\n\nMeasured figures, written by the scripts in `bench/` "
            "(`make bench`, or `make bench-quick`). Each section is replaced by its own script.\n"
        )
    )
    section = f"{heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(text.rstrip("\n") + "\n")


def run_header(
    command: str, started: dt.datetime, load_before: tuple[float, float, float], extra: str = ""
) -> str:
    lines = [
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Command: `{command}`",
        f"- Machine: {machine_note(load_before)}",
    ]
    if extra:
        lines.append(f"- {extra}")
    return "\n".join(lines)


def emit_result(result: dict) -> None:
    """The last line on stdout: exactly one JSON object."""
    sys.stdout.flush()
    print(json.dumps(result, sort_keys=True), flush=True)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
