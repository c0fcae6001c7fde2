"""Real servers for the fault tests: gunicorn started with the shipped configuration
(deploy/gunicorn.conf.py) and production settings, and a private Redis the test may stop.
Never the suite's shared PostgreSQL or Redis: a test that needs one of them down points its own
server at an address nothing listens on, or stops a server of its own."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from devtools.services import RedisServer

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def suite_database_url() -> str:
    """DATABASE_URL naming this run's test database (where the seeded tenants are committed)."""
    base = os.environ["DATABASE_URL"]
    head, _sep, tail = base.rpartition("/")
    query = tail.partition("?")[2]
    return f"{head}/{connection.settings_dict['NAME']}" + (f"?{query}" if query else "")


_collected: Path | None = None


def collected_static() -> Path:
    """The static files collected once per test run, as the image does at build time: the
    production settings serve them through a manifest, and a page naming a file missing from it
    would be a 500 (``Missing staticfiles manifest entry``), whatever the test is about."""
    global _collected
    if _collected is None:
        target = Path(tempfile.mkdtemp(prefix="faults-static-"))
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "saas_platform.settings.production",
               "SECRET_KEY": secrets.token_urlsafe(64), "STATIC_ROOT": str(target)}
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput",
                        "--verbosity", "0"], cwd=ROOT, env=env, check=True, timeout=300)
        _collected = target
    return _collected


def dead_database_url() -> str:
    """A PostgreSQL URL on a loopback port nothing listens on: every connection is refused."""
    return f"postgres://postgres@127.0.0.1:{free_port()}/saas"


def dead_redis_url(tmp_path: Path) -> str:
    return f"unix://{tmp_path / 'no-redis.sock'}?db=0"


class Server:
    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    def request(self, method: str, path: str, host: str, *, body: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 60):
        """(status, headers, body) of one request."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def gunicorn(*, database_url: str | None = None, redis_url: str | None = None,
             env: dict[str, str] | None = None, ready_path: str = "/healthz",
             app: str = "saas_platform.wsgi:application"):
    """gunicorn as production runs it (deploy/gunicorn.conf.py, production settings), on a free
    loopback port, two workers unless ``env`` says otherwise; ``app`` another WSGI app to serve
    (to test the server itself)."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="faults-gunicorn-", suffix=".log")[1])
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "saas_platform.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": database_url or suite_database_url(),
        "REDIS_URL": redis_url or os.environ["REDIS_URL"],
        "BASE_DOMAIN": settings.BASE_DOMAIN,
        "SECURE_SSL_REDIRECT": "False",
        "STATIC_ROOT": str(collected_static()),
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "INFO",
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", app, "--config",
             str(ROOT / "deploy" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + server.log_text()[-3000:])
            try:
                status, _, _ = server.request("GET", ready_path, settings.BASE_DOMAIN, timeout=5)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not come up:\n" + server.log_text()[-3000:])
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.unlink(missing_ok=True)


class PrivateRedis(RedisServer):
    """A redis-server of the test's own on a Unix socket in a temporary directory; ``stop()``
    and ``start()`` simulate an outage."""
