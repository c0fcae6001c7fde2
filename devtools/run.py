"""``make run``: embedded services (unless configured), migrations, demo tenants, then web
server, Celery worker and beat in the foreground. Ctrl-C stops all of them, and the embedded
servers this run started."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time

from devtools.services import ROOT, services, unusable_servers

PY = sys.executable


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def port_problem(port: str) -> str | None:
    """One line saying why the web server could not listen on ``port``, or None."""
    if not port.isdigit() or not 0 < int(port) < 65536:
        return f"PORT={port!r} is no port number; set PORT=8000 (or another) make run"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As runserver does: a port whose last connections linger in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", int(port)))  # noqa: S104 - runserver's own address
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} is in use; set PORT={int(port) + 1} make run"
            return f"cannot listen on port {port}: {exc.strerror}; set PORT=… make run"
    return None


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.dev")
    port = os.environ.get("PORT", "8000")
    # Before anything starts or says it runs.
    problem = port_problem(port)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    with services():
        problem = unusable_servers()
        if problem:
            print(problem, file=sys.stderr)
            return 1
        try:
            manage("migrate_all", "--verbosity", "0")
            manage("seed_demo", "--port", port)
        except subprocess.CalledProcessError as exc:
            return exc.returncode or 1  # the command has said why
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
