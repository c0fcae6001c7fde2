"""``make test``: the linters (ruff, and import-linter's layer contracts), Debian's chromium for
the browser tests (when missing and installable), embedded services (unless DATABASE_URL/REDIS_URL
are set), then pytest, then (full runs only) the Citus suite (devtools/citus.py) and the
container stack check (devtools/deploy.py). Arguments are passed to pytest; with arguments (a
partial run) the linters, the Citus suite and the stack check are skipped, so CI's full run
always has them."""

from __future__ import annotations

import os
import subprocess
import sys

from devtools.browser import ensure_browser
from devtools.services import ROOT, services, unusable_servers

LINTERS = (
    ("ruff", [sys.executable, "-m", "ruff", "check", "."]),
    ("import-linter", [os.path.join(os.path.dirname(sys.executable), "lint-imports"),
                       "--no-cache"]),
)


def lint() -> bool:
    ok = True
    for name, command in LINTERS:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"{name} failed:\n{result.stdout}{result.stderr}", file=sys.stderr)
            ok = False
        else:
            print(f"[lint] {name}: ok", file=sys.stderr)
    return ok


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.test")
    if not sys.argv[1:] and not lint():
        return 1
    ensure_browser()
    with services():
        problem = unusable_servers()
        if problem:
            print(problem, file=sys.stderr)
            return 1
        pytest = subprocess.run([sys.executable, "-m", "pytest", *sys.argv[1:]], cwd=ROOT)
        if pytest.returncode != 0 or sys.argv[1:]:
            return pytest.returncode
        # The full run goes on to the Citus cluster when the Citus source is there (else it
        # says why it skipped): `make test-citus`, sharing this run's Redis.
        from devtools.citus import run_tests

        result = run_tests([])
    if result != 0:
        return result
    # Then the container stack when this machine can run podman (root; else it says why it
    # skipped): `make test-deploy`. After the embedded services are stopped: it needs none.
    from devtools.deploy import run_tests as run_deploy_check

    return run_deploy_check([])


if __name__ == "__main__":
    sys.exit(main())
