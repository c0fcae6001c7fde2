"""The shipped gunicorn worker (saas_platform/web_worker.py) shares requests fairly between
worker processes: at its cap a worker leaves new connections to the others (the kernel's queue,
first come first served) and closes the connection it answers, so that the next request queues
fairly too; a slow request stops counting after a second, so slow clients cannot stop it
accepting. Orderings, not timings: which answer arrives first."""

from __future__ import annotations

import http.client
import threading
import time

from tests.faults.servers import gunicorn

APP = "tests.faults.sleepy_app:app"


def _get(port: int, path: str, finished: list[str], name: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    assert conn.getresponse().read() == b"ok"
    finished.append(name)
    conn.close()


def _in_background(*args) -> threading.Thread:
    thread = threading.Thread(target=_get, args=args, daemon=True)
    thread.start()
    return thread


def test_below_the_cap_connections_are_kept_alive_and_at_it_closed(committed_db):
    with gunicorn(app=APP, env={"WEB_CONCURRENCY": "1", "GUNICORN_MAX_INFLIGHT": "2"},
                  ready_path="/") as server:
        time.sleep(0.3)  # the readiness probe's connection closed and gone
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/")
        response = conn.getresponse()
        response.read()
        assert response.getheader("Connection", "").lower() != "close"
        # Another request is in flight: this worker is at its cap of two.
        slow = _in_background(server.port, "/?sleep=1.5", [], "slow")
        time.sleep(0.3)
        conn.request("GET", "/")  # on the kept-alive connection, which is already in
        response = conn.getresponse()
        assert response.read() == b"ok"
        assert response.getheader("Connection", "").lower() == "close"
        slow.join()


def test_at_the_cap_a_new_connection_waits_for_room(committed_db):
    with gunicorn(app=APP, env={"WEB_CONCURRENCY": "1", "GUNICORN_MAX_INFLIGHT": "1"},
                  ready_path="/") as server:
        finished: list[str] = []
        slow = _in_background(server.port, "/?sleep=0.7", finished, "slow")
        time.sleep(0.3)
        fast = _in_background(server.port, "/", finished, "fast")
        slow.join()
        fast.join()
        # The stock gthread worker would answer the fast request at once, on a second thread.
        assert finished == ["slow", "fast"]


def test_a_request_past_a_second_no_longer_holds_the_cap(committed_db):
    with gunicorn(app=APP, env={"WEB_CONCURRENCY": "1", "GUNICORN_MAX_INFLIGHT": "1"},
                  ready_path="/") as server:
        finished: list[str] = []
        slow = _in_background(server.port, "/?sleep=4", finished, "slow")
        time.sleep(0.3)
        fast = _in_background(server.port, "/", finished, "fast")
        fast.join()
        slow.join()
        assert finished == ["fast", "slow"]
