"""The shipped gunicorn worker (saas_platform/web_worker.py) shares requests fairly between
worker processes: at its cap a worker leaves new connections to the others (the kernel's queue,
first come first served) and closes the connection it answers, so that the next request queues
fairly too; a slow request stops counting after a second, so slow clients cannot stop it
accepting. Orderings, not timings: what the server started or finished first (the app touches a
file at each step)."""

from __future__ import annotations

import http.client
import threading
import time
from pathlib import Path

from tests.faults.servers import gunicorn

APP = "tests.faults.sleepy_app:app"


def _get(port: int, path: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    assert conn.getresponse().read() == b"ok"
    conn.close()


def _request(port: int, name: str, seconds: float, marks: Path) -> threading.Thread:
    """A request that takes ``seconds``, in a thread, returned once the worker has begun it;
    ``marks / f"{name}.started"`` and ``.done`` are touched as the server begins and ends it."""
    started, done = marks / f"{name}.started", marks / f"{name}.done"
    thread = threading.Thread(
        target=_get, args=(port, f"/?sleep={seconds}&started={started}&done={done}"),
        daemon=True)
    thread.start()
    if seconds:  # wait for the worker to be on it (a quick one may wait in the queue: no)
        deadline = time.monotonic() + 10
        while not started.exists():
            assert time.monotonic() < deadline, f"{name} never started"
            time.sleep(0.01)
    return thread


def _when(path: Path) -> int:
    return path.stat().st_mtime_ns


def test_below_the_cap_connections_are_kept_alive_and_at_it_closed(committed_db, tmp_path):
    with gunicorn(app=APP, env={"WEB_CONCURRENCY": "1", "GUNICORN_MAX_INFLIGHT": "2"},
                  ready_path="/") as server:
        time.sleep(0.3)  # the readiness probe's connection closed and gone
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/")
        response = conn.getresponse()
        response.read()
        assert response.getheader("Connection", "").lower() != "close"
        # Another request is in flight: this worker is at its cap of two.
        slow = _request(server.port, "slow", 1.5, tmp_path)
        conn.request("GET", "/")  # on the kept-alive connection, which is already in
        response = conn.getresponse()
        assert response.read() == b"ok"
        assert response.getheader("Connection", "").lower() == "close"
        slow.join()


def _slow_then_fast(marks: Path, slow_seconds: float) -> None:
    """On one worker with a cap of one: a slow request, and a quick one once it has begun."""
    with gunicorn(app=APP, env={"WEB_CONCURRENCY": "1", "GUNICORN_MAX_INFLIGHT": "1"},
                  ready_path="/") as server:
        slow = _request(server.port, "slow", slow_seconds, marks)
        fast = _request(server.port, "fast", 0, marks)
        slow.join()
        fast.join()


def test_at_the_cap_a_new_connection_waits_for_room(committed_db, tmp_path):
    _slow_then_fast(tmp_path, 0.7)
    # The stock gthread worker would begin the fast request at once, on a second thread.
    assert _when(tmp_path / "fast.started") >= _when(tmp_path / "slow.done")


def test_a_request_past_a_second_no_longer_holds_the_cap(committed_db, tmp_path):
    _slow_then_fast(tmp_path, 4)
    assert _when(tmp_path / "fast.done") < _when(tmp_path / "slow.done")
