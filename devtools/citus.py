"""A local Citus cluster (one coordinator, two workers) for ``make test-citus`` and bench/citus.py.

Citus is built from source against the PostgreSQL 16 of the ``pgserver`` wheel the project
already uses, so nothing is downloaded but Debian's build packages. The source is taken from
``$CITUS_SOURCE`` or ``../shared/vendor/citus-v13.2.2-notests.tar.gz`` beside the clone (a
``git archive`` tarball of citusdata/citus, AGPL-3.0). The build is cached outside the repository
(``$CITUS_CACHE``, default ``~/.cache/saas-platform/citus``; ``/var/cache/saas-platform/citus``
as root, where the unprivileged server user must be able to read it) under the source's sha256,
so a rerun costs nothing (the first build takes about a minute on 2 cores).

The three nodes listen on loopback ports of their own (``$CITUS_PORT``, default derived from the
checkout's path so two clones do not clash; workers on the next two ports), with data under
``.data/citus/``. Only the coordinator is ever given to Django.

    python -m devtools.citus build|start|stop|status|url
    python -m devtools.citus test [pytest args]   # = make test-citus
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

from devtools.services import DATA, ROOT

DEFAULT_SOURCE = ROOT.parent / "shared" / "vendor" / "citus-v13.2.2-notests.tar.gz"
CLUSTER = DATA / "citus"
BUILD_PACKAGES = ["build-essential", "liblz4-dev", "libzstd-dev", "libssl-dev", "libkrb5-dev",
                  "libicu-dev", "zlib1g-dev", "autoconf", "flex", "bison"]
# Headers the build needs beyond a compiler; missing ones mean "install BUILD_PACKAGES".
BUILD_HEADERS = ["/usr/include/lz4.h", "/usr/include/zstd.h", "/usr/include/krb5.h"]
# The server user when running as root (PostgreSQL refuses root); the one pgserver uses too.
SERVER_USER = "pgserver"


def log(message: str) -> None:
    print(f"[citus] {message}", file=sys.stderr, flush=True)


def source() -> tuple[Path | None, str]:
    """The Citus source tarball, or None and the reason it is unavailable."""
    configured = os.environ.get("CITUS_SOURCE")
    path = Path(configured) if configured else DEFAULT_SOURCE
    if path.is_file():
        return path, ""
    where = f"CITUS_SOURCE={configured}" if configured else str(DEFAULT_SOURCE)
    return None, (f"no Citus source at {where}: put citus-v13.2.2-notests.tar.gz (a `git archive "
                  "--prefix=citus/ v13.2.2` of citusdata/citus) there or set CITUS_SOURCE")


def ports() -> list[int]:
    base = int(os.environ.get("CITUS_PORT", 0)) or 21000 + zlib.crc32(str(ROOT).encode()) % 3000 * 3
    return [base, base + 1, base + 2]


def _cache_root() -> Path:
    if os.environ.get("CITUS_CACHE"):
        return Path(os.environ["CITUS_CACHE"])
    if os.geteuid() == 0:
        return Path("/var/cache/saas-platform/citus")
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "saas-platform/citus"


def _pgserver_dir() -> Path:
    import pgserver

    return Path(pgserver.__file__).parent


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def prefix_for(tarball: Path) -> Path:
    """Where the PostgreSQL + Citus install for this source (and this pgserver) lives."""
    pg_version = (_pgserver_dir() / "pginstall" / "lib").resolve().parent.name
    key = hashlib.sha256(f"{_sha256(tarball)}:{pg_version}:{_pgserver_dir().parent}"
                         .encode()).hexdigest()[:16]
    return _cache_root() / key / "pg16"


def _env(prefix: Path) -> dict[str, str]:
    # pgserver's client tools link an auditwheel-renamed libpq, copied into prefix/lib.
    lib = str(prefix / "lib")
    old = os.environ.get("LD_LIBRARY_PATH")
    return {**os.environ, "LD_LIBRARY_PATH": f"{lib}:{old}" if old else lib}


def _ensure_build_packages() -> None:
    if shutil.which("gcc") and all(Path(h).exists() for h in BUILD_HEADERS):
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(f"[citus] building needs: apt-get install {' '.join(BUILD_PACKAGES)}")
    log("installing build packages from Debian")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL, check=False,
                   timeout=300)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                    *BUILD_PACKAGES], env=env, stdout=subprocess.DEVNULL, check=True, timeout=600)


def build() -> Path:
    """Build (or find cached) PostgreSQL 16 + Citus; return the install prefix."""
    tarball, reason = source()
    if tarball is None:
        raise SystemExit(f"[citus] {reason}")
    prefix = prefix_for(tarball)
    if (prefix / "lib" / "postgresql" / "citus.so").exists():
        return prefix
    _ensure_build_packages()
    log(f"building Citus from {tarball.name} into {prefix} (about a minute, cached after)")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=prefix.parent) as tmp:
        staging = Path(tmp) / "pg16"
        # A private, writable copy of pgserver's PostgreSQL: pg_config is relocatable, so the
        # copy's pg_config points the build at the copy.
        shutil.copytree(_pgserver_dir() / "pginstall", staging, symlinks=True)
        for lib in (_pgserver_dir().parent / "pgserver.libs").glob("libpq-*.so*"):
            shutil.copy2(lib, staging / "lib")
        src = Path(tmp) / "citus"
        src.mkdir()
        subprocess.run(["tar", "-xzf", str(tarball), "-C", str(src), "--strip-components=1"],
                       check=True)
        env = _env(staging)
        logfile = Path(tmp) / "build.log"
        steps = [
            # --without-libcurl: no usage-statistics phone-home, one dependency less.
            ["./configure", f"PG_CONFIG={staging}/bin/pg_config", "--without-libcurl"],
            ["make", f"-j{os.cpu_count() or 2}"],
            ["make", "install"],
        ]
        for step in steps:
            with logfile.open("a") as out:
                result = subprocess.run(step, cwd=src, env=env, stdout=out,
                                        stderr=subprocess.STDOUT)
            if result.returncode != 0:
                tail = logfile.read_text().splitlines()[-30:]
                raise SystemExit("[citus] build failed:\n" + "\n".join(tail))
        # Readable by the unprivileged server user.
        subprocess.run(["chmod", "-R", "a+rX", str(staging)], check=True)
        os.replace(staging, prefix)
    if os.geteuid() == 0:  # the server user must reach the install, as pgserver ensures
        for directory in [prefix, *prefix.parents]:
            if not directory.stat().st_mode & 0o001:
                directory.chmod(directory.stat().st_mode | 0o055)
    return prefix


def _as_server(cmd: list[str], prefix: Path, **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", SERVER_USER, "--", "env",
               f"LD_LIBRARY_PATH={prefix / 'lib'}", *cmd]
    return subprocess.run(cmd, env=_env(prefix), **kwargs)


def psql(prefix: Path, port: int, sql: str, database: str = "postgres") -> str:
    result = subprocess.run(
        [str(prefix / "bin" / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
         "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-c", sql],
        env=_env(prefix), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"psql on port {port}: {result.stderr.strip()}")
    return result.stdout.strip()


def _running(node: Path) -> bool:
    pid_file = node / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (ProcessLookupError, ValueError):
        return False
    return True


def start(prefix: Path | None = None) -> str:
    """Start (initialising the first time) the three nodes; return the coordinator's URL."""
    prefix = prefix or build()
    if os.geteuid() == 0:
        from pgserver.utils import ensure_user_exists

        ensure_user_exists(SERVER_USER)
    CLUSTER.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(CLUSTER, SERVER_USER)
    fresh = False
    for port in ports():
        node = CLUSTER / f"n{port}"
        if not (node / "PG_VERSION").exists():
            fresh = True
            _as_server([str(prefix / "bin" / "initdb"), "-D", str(node), "-U", "postgres",
                        "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"], prefix,
                       check=True, stdout=subprocess.DEVNULL)
            with (node / "postgresql.conf").open("a") as conf:
                conf.write(f"""
port = {port}
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
shared_preload_libraries = 'citus'
wal_level = logical              # citus_schema_move copies shards by logical replication
max_connections = 300
max_wal_senders = 20
max_replication_slots = 20
fsync = off                      # a throwaway test cluster
synchronous_commit = off
full_page_writes = off
""")
        if not _running(node):
            _as_server([str(prefix / "bin" / "pg_ctl"), "-D", str(node), "-l",
                        str(node / "server.log"), "-w", "-t", "60", "start"], prefix,
                       check=True, stdout=subprocess.DEVNULL)
    coordinator, *workers = ports()
    if fresh:
        for port in ports():
            psql(prefix, port, "CREATE EXTENSION IF NOT EXISTS citus")
        psql(prefix, coordinator, f"SELECT citus_set_coordinator_host('127.0.0.1', {coordinator})")
        for port in workers:
            psql(prefix, coordinator, f"SELECT citus_add_node('127.0.0.1', {port})")
        # Each database needs its own database on every node (Citus does not propagate CREATE
        # DATABASE): create the project's here; the test database is created by the backend.
        for port in ports():
            psql(prefix, port, "CREATE DATABASE saas")
        register_database(prefix, "saas")
    return url()


def register_database(prefix: Path, database: str) -> None:
    """The extension and the node registration inside ``database`` (on every node)."""
    coordinator, *workers = ports()
    for port in ports():
        psql(prefix, port, "CREATE EXTENSION IF NOT EXISTS citus", database)
    psql(prefix, coordinator, f"SELECT citus_set_coordinator_host('127.0.0.1', {coordinator})",
         database)
    for port in workers:
        psql(prefix, coordinator, f"SELECT citus_add_node('127.0.0.1', {port})", database)


def url(database: str = "saas") -> str:
    return f"postgres://postgres@127.0.0.1:{ports()[0]}/{database}"


def stop() -> None:
    tarball, _ = source()
    for port in ports():
        node = CLUSTER / f"n{port}"
        if _running(node):
            prefix = prefix_for(tarball) if tarball else None
            pg_ctl = (prefix / "bin" / "pg_ctl") if prefix else None
            if pg_ctl is None or not pg_ctl.exists():
                os.kill(int((node / "postmaster.pid").read_text().split()[0]), 2)  # fast stop
                continue
            _as_server([str(pg_ctl), "-D", str(node), "-m", "fast", "-w", "stop"], prefix,
                       check=False, stdout=subprocess.DEVNULL)
            log(f"stopped node on port {port}")


# What `make test-citus` runs on the cluster: the Citus-marked tests, plus routing and every
# tenant-isolation test, so a tenant's data is shown never to cross on Citus either.
CITUS_SUITE = [
    "tests/citus",
    "tests/core/test_archive.py",
    "tests/core/test_provisioning.py",
    "tests/core/test_routing.py",
    "tests/core/test_accounts_isolation.py",
    "tests/inventory/test_isolation.py",
    "tests/attendance/test_isolation.py",
    "tests/test_isolation_suite.py",
]


def run_tests(args: list[str]) -> int:
    """Build (cached), start the cluster, run the suite against the coordinator; 0 and a
    clear line when there is no Citus source (a skip, not a failure)."""
    from devtools.services import services, unusable_servers

    tarball, reason = source()
    if tarball is None:
        log(f"SKIPPED the Citus tests: {reason}")
        return 0
    started = not all(_running(CLUSTER / f"n{p}") for p in ports())
    prefix = build()
    coordinator = start(prefix)
    try:
        env = {**os.environ, "DATABASE_URL": coordinator, "TENANT_DISTRIBUTION": "citus",
               "DJANGO_SETTINGS_MODULE": "saas_platform.settings.test"}
        saved = os.environ.get("DATABASE_URL")
        os.environ["DATABASE_URL"] = coordinator
        try:
            with services():
                problem = unusable_servers()
                if problem:
                    log(problem)
                    return 1
                env["REDIS_URL"] = os.environ["REDIS_URL"]
                log(f"running {' '.join(args or CITUS_SUITE)} on the coordinator "
                    f"127.0.0.1:{ports()[0]} (workers {ports()[1]}, {ports()[2]})")
                return subprocess.run([sys.executable, "-m", "pytest", *(args or CITUS_SUITE)],
                                      cwd=ROOT, env=env).returncode
        finally:
            if saved is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = saved
    finally:
        if started:
            stop()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "build":
        print(build())
    elif command == "start":
        print(start())
    elif command == "stop":
        stop()
    elif command == "test":
        return run_tests(argv[1:])
    elif command == "url":
        print(url())
    elif command == "status":
        tarball, reason = source()
        print(f"source: {tarball or reason}")
        for port in ports():
            print(f"node {port}: {'running' if _running(CLUSTER / f'n{port}') else 'stopped'}")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
