"""Item 8 of the fault issue: slow clients cannot starve the server. Six connections trickling
header bytes at one a second made /healthz time out for everyone with the sync workers shipped
before; with the shipped configuration (deploy/gunicorn.conf.py: gthread workers) it answers.

A liveness property, not a benchmark: the bound is generous."""

from __future__ import annotations

import socket
import threading
import time

from django.conf import settings

from tests.faults.servers import gunicorn

SLOW_CLIENTS = 6


def _trickle(port: int, stop: threading.Event) -> None:
    """Send a request's headers one byte a second, never finishing them."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {settings.BASE_DOMAIN}\r\n".encode())
        while not stop.is_set():
            try:
                sock.sendall(b"X")
            except OSError:
                return
            stop.wait(1)


def test_slow_header_clients_do_not_starve_healthz(committed_db):
    # The shipped defaults, with one worker: every slow client lands on it, deterministically
    # (with several, how the kernel spreads connections over them would decide the outcome).
    with gunicorn(env={"WEB_CONCURRENCY": "1"}) as server:
        stop = threading.Event()
        clients = [threading.Thread(target=_trickle, args=(server.port, stop), daemon=True)
                   for _ in range(SLOW_CLIENTS)]
        for client in clients:
            client.start()
        try:
            time.sleep(2)  # every slow client connected and holding whatever it can hold
            for _ in range(3):
                started = time.monotonic()
                status, _, _ = server.request("GET", "/healthz", settings.BASE_DOMAIN,
                                              timeout=10)
                assert status == 200
                assert time.monotonic() - started < 5
                time.sleep(0.5)
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=5)
