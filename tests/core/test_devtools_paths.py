"""The paths a newcomer walks first, run as the real commands in subprocesses: ``manage.py``
without configuration, an unreachable ``DATABASE_URL``, a taken ``PORT``, a missing Python 3.11.

The suite's own servers are never touched: each test points ``SAAS_DATA_DIR`` at a directory of
its own, and the one that needs embedded servers starts a PostgreSQL and a Redis there (and stops
them after)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Generous: a loaded 2-core machine may take long to start Python, Django or PostgreSQL.
TIMEOUT = 300


def newcomer_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of someone who configured nothing, with the embedded servers (if any)
    under ``data_dir``."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PORT",
                           "RUN_MAIN")}
    env["SAAS_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)


def refused_port() -> int:
    """A TCP port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def assert_one_line(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    output = (result.stdout + result.stderr).strip()
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert len(output.splitlines()) == 1, output
    for fragment in fragments:
        assert fragment in output, output
    return output


@pytest.fixture(scope="module")
def embedded() -> Iterator[Path]:
    """A data directory with an embedded PostgreSQL and Redis running, as ``make run`` leaves
    them."""
    base = Path(tempfile.mkdtemp(prefix="saas-paths-"))
    data = base / "data"
    env = newcomer_env(data)
    start = run(["-c", "from devtools.services import ensure_postgres, ensure_redis; "
                       "ensure_postgres(); ensure_redis()"], env)
    try:
        assert start.returncode == 0, start.stderr
        yield data
    finally:
        run(["-m", "devtools.services", "stop"], env)
        shutil.rmtree(base, ignore_errors=True)


# -- manage.py ---------------------------------------------------------------------------------
def test_manage_py_uses_the_running_embedded_servers(embedded):
    env = newcomer_env(embedded)
    migrate = run(["manage.py", "migrate_all", "--verbosity", "0"], env)
    assert migrate.returncode == 0, migrate.stderr
    create = run(["manage.py", "createsuperuser", "--noinput"],
                 {**env, "DJANGO_SUPERUSER_EMAIL": "operator@paths.test",
                  "DJANGO_SUPERUSER_PASSWORD": "operator-pass-123"})
    assert create.returncode == 0, create.stderr
    assert "Superuser created" in create.stdout
    # … in the embedded servers under this data directory, not anywhere else.
    socket_dir = (embedded / "pg" / "postmaster.pid").read_text().splitlines()[4].strip()
    where = run(["manage.py", "shell", "-c",
                 "from django.conf import settings; "
                 "print(settings.DATABASES['default']['HOST']); print(settings.REDIS_URL)"], env)
    assert where.returncode == 0, where.stderr
    assert where.stdout.split()[-2:] == [socket_dir, f"unix://{embedded / 'redis.sock'}?db=0"]


def test_finding_the_embedded_servers_imports_nothing_heavy(embedded):
    """manage.py reads pid files and sockets: no pgserver, psutil, redis or Django for it."""
    probe = run(["-c", "import sys; from pathlib import Path; import manage; "
                       f"found = manage.embedded_env(Path({str(embedded)!r})); "
                       "print(sorted(found)); "
                       "print([m for m in ('pgserver', 'psutil', 'redis', 'django') "
                       "if m in sys.modules])"], newcomer_env(embedded))
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.splitlines() == ["['DATABASE_URL', 'REDIS_URL']", "[]"]


def test_manage_py_without_a_database_says_what_to_do(tmp_path):
    env = newcomer_env(tmp_path / "nothing-here")
    result = run(["manage.py", "createsuperuser", "--noinput"], env)
    assert_one_line(result, "make run", "DATABASE_URL")


def test_manage_py_commands_that_need_no_database_still_run_without_one(tmp_path):
    env = newcomer_env(tmp_path / "nothing-here")
    for args in (["help"], ["help", "createsuperuser"], ["createsuperuser", "--help"],
                 ["check"], ["makemigrations", "--check", "--dry-run"]):
        result = run(["manage.py", *args], env)
        assert result.returncode == 0, (args, result.stderr)
        assert "no database" not in result.stderr, args


def test_manage_py_with_an_unreachable_database_url_is_one_line(embedded):
    """Also: a DATABASE_URL that is set wins over the embedded servers that run."""
    port = refused_port()
    env = newcomer_env(embedded, DATABASE_URL=f"postgres://saas@127.0.0.1:{port}/saas")
    for command in ("createsuperuser", "migrate_all"):
        result = run(["manage.py", command, "--noinput" if command == "createsuperuser"
                      else "--verbosity=0"], env)
        assert_one_line(result, f"cannot connect to the database at 127.0.0.1:{port} "
                                "(DATABASE_URL): connection refused")


# -- make run (devtools.run) -------------------------------------------------------------------
def test_make_run_on_a_port_in_use_is_one_line_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data = tmp_path / "data"
        result = run(["-m", "devtools.run"], newcomer_env(data, PORT=str(port)))
    output = assert_one_line(result, f"port {port} is in use", f"PORT={port + 1} make run")
    assert "running" not in output
    assert not data.exists(), "no embedded server may start"


def test_make_run_with_an_unreachable_database_url_is_one_line(tmp_path):
    port = refused_port()
    env = newcomer_env(tmp_path / "data", PORT=str(refused_port()),
                       DATABASE_URL=f"postgres://saas@127.0.0.1:{port}/saas",
                       REDIS_URL=f"redis://127.0.0.1:{refused_port()}/0")
    output = assert_one_line(run(["-m", "devtools.run"], env),
                             f"cannot connect to the database at 127.0.0.1:{port}")
    assert "running" not in output


# -- Makefile ----------------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_without_python_3_11_says_what_to_install(tmp_path):
    for name in ("Makefile", "uv.lock", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    result = subprocess.run(["make", "PYTHON=/nonexistent/python3.11", "run"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=TIMEOUT,
                            stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    first = result.stderr.splitlines()[0]
    assert first.startswith("Python 3.11 is needed"), result.stderr
    assert "apt-get install python3.11 python3.11-venv" in first
    assert "make PYTHON=/path/to/python3.11" in first
    assert "No such file" not in result.stderr
    assert not (tmp_path / ".tools").exists()
