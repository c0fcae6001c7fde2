"""PgBouncer in session mode (deploy/pgbouncer.ini) keeps tenants apart; transaction mode would
not, which is why docs/scaling.md refuses it.

Runs Debian's ``pgbouncer`` (installed when missing and installable, as root; otherwise the tests
skip saying so) against the test database, with one server connection in the pool, so every
client provably shares the same PostgreSQL backend."""

from __future__ import annotations

import configparser
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from devtools.pgbouncer import ensure_pgbouncer

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "deploy" / "pgbouncer.ini"
# The unprivileged user PgBouncer switches to when started as root (the embedded PostgreSQL's).
RUN_AS = "pgserver"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pgbouncer_binary() -> str:
    binary = ensure_pgbouncer()
    if binary is None:
        pytest.skip("pgbouncer is not installed and cannot be installed here "
                    "(as root: apt-get install pgbouncer)")
    return binary


def _start(binary: str, pool_mode: str) -> Iterator[str]:
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    config = configparser.ConfigParser(interpolation=None)
    config.read(SHIPPED)
    assert config["pgbouncer"]["pool_mode"] == "session"  # the shipped, tested setting
    workdir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    port = _free_port()
    config["databases"] = {
        "saas": f"host={host} port={db['PORT'] or 5432} dbname={db['NAME']} "
                f"user={db['USER'] or 'postgres'}"}
    settings = config["pgbouncer"]
    settings.update({
        "listen_addr": "127.0.0.1", "listen_port": str(port), "unix_socket_dir": "",
        "auth_type": "trust", "auth_file": str(workdir / "userlist.txt"),
        "logfile": str(workdir / "pgbouncer.log"), "pidfile": str(workdir / "pgbouncer.pid"),
        "pool_mode": pool_mode, "default_pool_size": "1", "reserve_pool_size": "0",
    })
    (workdir / "userlist.txt").write_text('"postgres" ""\n')
    with (workdir / "pgbouncer.ini").open("w") as f:
        config.write(f)
    command = [binary, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        shutil.chown(workdir, RUN_AS)
        for child in workdir.iterdir():
            shutil.chown(child, RUN_AS)
        command[1:1] = ["-u", RUN_AS]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"postgresql://postgres@127.0.0.1:{port}/saas"
    try:
        for _ in range(100):
            try:
                psycopg.connect(url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if process.poll() is not None:
                    pytest.fail(f"pgbouncer exited: {process.stderr.read().decode()}")
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def session_pool(django_db_setup, pgbouncer_binary) -> Iterator[str]:
    yield from _start(pgbouncer_binary, "session")


@pytest.fixture(scope="module")
def transaction_pool(django_db_setup, pgbouncer_binary) -> Iterator[str]:
    yield from _start(pgbouncer_binary, "transaction")


def _as_tenant(url: str, schema: str) -> tuple[int, list[str]]:
    """What the platform does on a request: one session, SET search_path once, then queries
    that rely on it. Returns the PostgreSQL backend's pid and the users seen."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET search_path = {schema}")
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        emails = [r[0] for r in conn.execute("SELECT email FROM accounts_user ORDER BY email")]
    return pid, emails


def test_session_mode_tenants_interleaved_on_one_server_connection_stay_apart(session_pool):
    pids, seen = set(), {}
    for slug in ["acme", "globex", "acme", "initech", "globex", "acme"]:
        pid, emails = _as_tenant(session_pool, f"t_{slug}")
        pids.add(pid)
        seen.setdefault(slug, set()).update(emails)
    assert len(pids) == 1, "the pool should have had one server connection"
    for slug, emails in seen.items():
        assert f"owner@{slug}.test" in emails
        assert all(e.endswith(f"@{slug}.test") for e in emails), (slug, emails)


def test_session_mode_forgets_the_previous_clients_search_path(session_pool):
    _as_tenant(session_pool, "t_acme")
    with psycopg.connect(session_pool, autocommit=True) as conn:
        # A client that has not chosen a tenant is not left in the last one's schema
        # (server_reset_query = DISCARD ALL on release).
        assert conn.execute("SHOW search_path").fetchone()[0] == '"$user", public'


def test_session_mode_keeps_a_clients_schema_for_its_whole_session(session_pool):
    with psycopg.connect(session_pool, autocommit=True) as acme:
        acme.execute("SET search_path = t_acme")
        for _ in range(3):
            # Other clients queue for the one server connection meanwhile; this one keeps it.
            assert acme.execute("SHOW search_path").fetchone()[0] == "t_acme"
            assert acme.execute("SELECT count(*) FROM accounts_user WHERE email LIKE "
                                "'%%@globex.test'").fetchone()[0] == 0


def test_transaction_mode_would_leak_one_tenants_schema_into_another(transaction_pool):
    """Why docs/scaling.md refuses transaction pooling: the SET outlives the transaction it ran
    in, and the server connection goes to whoever comes next."""
    with psycopg.connect(transaction_pool, autocommit=True) as acme, \
            psycopg.connect(transaction_pool, autocommit=True) as other:
        acme.execute("SET search_path = t_acme")
        # `other` never chose a schema, yet runs on the connection acme left in t_acme.
        leaked = other.execute("SELECT email FROM accounts_user").fetchall()
    assert any(row[0] == "owner@acme.test" for row in leaked)
