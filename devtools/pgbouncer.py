"""Debian's PgBouncer for the pooling tests (tests/test_pgbouncer.py).

When ``pgbouncer`` is missing and this machine can install it (root, apt-get), it is installed
from Debian's packages, as devtools/browser.py does for chromium; otherwise the tests skip with
the reason. Nothing else is downloaded."""

from __future__ import annotations

import os
import shutil
import subprocess

PGBOUNCER = "/usr/sbin/pgbouncer"


def ensure_pgbouncer() -> str | None:
    """The binary's path, installing the package if need be; None when unavailable."""
    if os.access(PGBOUNCER, os.X_OK):
        return PGBOUNCER
    if os.environ.get("SKIP_PGBOUNCER_INSTALL") or shutil.which("apt-get") is None \
            or os.geteuid() != 0:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
             "check": False, "timeout": 300}
    try:
        subprocess.run(["apt-get", "update", "-qq"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                        "pgbouncer"], **quiet)
    except subprocess.TimeoutExpired:
        return None
    # The package starts a system-wide instance on port 6432; the tests run their own.
    subprocess.run(["service", "pgbouncer", "stop"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return PGBOUNCER if os.access(PGBOUNCER, os.X_OK) else None
