"""``make run``: embedded services (unless configured), migrations, demo tenants, then web
server, Celery worker and beat in the foreground. Ctrl-C stops all of them, and the embedded
servers this run started."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from devtools.services import ROOT, services

PY = sys.executable


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.dev")
    port = os.environ.get("PORT", "8000")
    with services():
        manage("migrate_all", "--verbosity", "0")
        manage("seed_demo", "--port", port)
        # Each in a session of its own so that stopping a group reaches its children too.
        procs = {
            "web": subprocess.Popen([PY, "manage.py", "runserver", f"0.0.0.0:{port}"],
                                    cwd=ROOT, start_new_session=True),
            "worker": subprocess.Popen([PY, "-m", "celery", "-A", "saas_platform", "worker",
                                        "--loglevel", "INFO", "--concurrency", "2"],
                                       cwd=ROOT, start_new_session=True),
            "beat": subprocess.Popen([PY, "-m", "celery", "-A", "saas_platform", "beat",
                                      "--loglevel", "INFO", "--schedule",
                                      str(ROOT / ".data" / "celerybeat-schedule")],
                                     cwd=ROOT, start_new_session=True),
        }
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        print(f"[run] {name} exited with {proc.returncode}; stopping",
                              file=sys.stderr)
                        exit_code = proc.returncode or 1
                        stopping = True
                time.sleep(0.3)
        finally:
            print("\n[run] stopping web, worker and beat…", file=sys.stderr)
            for proc in procs.values():
                _signal_group(proc, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                    proc.wait()
    return exit_code


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


if __name__ == "__main__":
    sys.exit(main())
