#!/usr/bin/env python
"""Django's command-line utility, with two things a newcomer needs on top.

- With ``DATABASE_URL`` unset, it uses the embedded PostgreSQL (and Redis) that ``make run`` or
  ``make test`` keep running under ``.data/`` (``SAAS_DATA_DIR``), found from their pid files
  and sockets: nothing is started and nothing heavy imported. When neither is there, a command
  that needs the database stops with one line saying what to do.
- A command that needs the database first checks that it can connect, and says in one line why
  not (instead of two chained tracebacks).

With ``DATABASE_URL`` set (production, tests), the environment is left as it is. Commands that
never touch the database (``help``, ``check``, ``makemigrations``, ``collectstatic``…) run
without either step.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# Commands that open no database connection (and ``check``, without ``--database``).
NO_DATABASE = frozenset({
    "help", "version", "makemigrations", "collectstatic", "findstatic",
    "diffsettings", "startapp", "startproject", "compilemessages", "makemessages",
    "spectacular", "generateschema", "sendtestemail", "optimizemigration", "starttenantapp",
})
# Django-only keys in DATABASES["default"]["OPTIONS"] that are no libpq parameters.
NOT_LIBPQ = ("isolation_level", "server_side_binding", "pool", "assume_role")
CONNECT_TIMEOUT = 5  # seconds


def data_dir() -> Path:
    return Path(os.environ.get("SAAS_DATA_DIR") or ROOT / ".data")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # running as another user (pgserver's, under root)
        return True
    return True


def embedded_env(data: Path) -> dict[str, str]:
    """DATABASE_URL and REDIS_URL of the embedded servers under ``data`` that are running
    (either may be missing from the result)."""
    found: dict[str, str] = {}
    try:
        # postmaster.pid: pid, data dir, start time, port, socket dir, listen address, …
        lines = (data / "pg" / "postmaster.pid").read_text().splitlines()
        pid, port, socket_dir = int(lines[0]), lines[3].strip(), lines[4].strip()
    except (OSError, ValueError, IndexError):
        pid, port, socket_dir = 0, "", ""
    if socket_dir and _alive(pid) and Path(socket_dir, f".s.PGSQL.{port}").exists():
        # The form devtools.services uses: django-environ reads it as a Unix socket directory.
        found["DATABASE_URL"] = f"postgres://postgres@/{socket_dir}/saas"
    try:
        redis_pid = int((data / "redis.pid").read_text().strip())
    except (OSError, ValueError):
        redis_pid = 0
    if redis_pid and _alive(redis_pid) and (data / "redis.sock").exists():
        found["REDIS_URL"] = f"unix://{data / 'redis.sock'}?db=0"
    return found


def use_embedded_services() -> None:
    """Point DATABASE_URL / REDIS_URL at the running embedded servers when neither is set. Also
    called by saas_platform/celery.py, so `celery -A saas_platform worker` finds them too."""
    if os.environ.get("DATABASE_URL"):
        return
    for name, url in embedded_env(data_dir()).items():
        if not os.environ.get(name):
            os.environ[name] = url


def needs_database(argv: list[str]) -> bool:
    args = argv[1:]
    if not args or args[0].startswith("-") or args[0] in NO_DATABASE:
        return False
    if any(arg in ("-h", "--help") for arg in args):
        return False
    if args[0] == "check":
        return any(arg == "--database" or arg.startswith("--database=") for arg in args)
    return True


def database_problem(url: str) -> str | None:
    """One line saying why the database at ``url`` cannot be used, or None when it can (or when
    this check cannot tell: then Django has the last word)."""
    import environ
    import psycopg

    try:
        config = environ.Env.db_url_config(url)
    except Exception:  # an unknown scheme, say: Django reports it
        return None
    if "postgres" not in config.get("ENGINE", ""):
        return None
    options = {k: v for k, v in config.get("OPTIONS", {}).items() if k not in NOT_LIBPQ}
    options.setdefault("connect_timeout", CONNECT_TIMEOUT)
    host, port = config.get("HOST") or "localhost", config.get("PORT") or 5432
    try:
        psycopg.connect(dbname=config.get("NAME") or None, user=config.get("USER") or None,
                        password=config.get("PASSWORD") or None, host=host, port=port,
                        **options).close()
    except psycopg.OperationalError as exc:
        return f"cannot connect to the database at {host}:{port} (DATABASE_URL): {_reason(exc)}"
    except psycopg.Error:
        return None
    return None


def _reason(exc: Exception) -> str:
    """libpq's reason, without its preamble: 'connection failed: connection to server at
    "127.0.0.1", port 9 failed: Connection refused\\n\\tIs the server running…'."""
    first = (str(exc).strip().splitlines() or ["unknown error"])[0]
    reason = first.rsplit(" failed: ", 1)[-1].strip()
    reason = reason.removeprefix("FATAL:").strip()
    return reason[:1].lower() + reason[1:]


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.dev")
    use_embedded_services()
    # RUN_MAIN: runserver's reloaded child, whose parent checked already.
    if needs_database(argv) and not os.environ.get("RUN_MAIN"):
        url = os.environ.get("DATABASE_URL")
        problem = database_problem(url) if url else (
            f"no database: DATABASE_URL is not set and no embedded PostgreSQL is running under "
            f"{data_dir()}; start `make run` (in another terminal) first, or set DATABASE_URL")
        if problem:
            print(problem, file=sys.stderr)
            return 1
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
