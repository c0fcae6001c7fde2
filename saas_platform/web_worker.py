"""gunicorn's threaded worker, with the requests shared fairly between the worker processes.

gunicorn's ``gthread`` worker accepts every connection it can and keeps it for good (keep-alive):
16 connections from a proxy's pool landed 9, 6 and 1 on three workers, and since a process runs
Python on one core at a time (the GIL), the nine sessions of the busiest worker waited ~190 ms a
page while the lone one got 40 ms (bench/pages.py, docs/benchmarks.md). This worker caps the
requests one process works on at once (``GUNICORN_MAX_INFLIGHT``, default 2):

- at the cap it stops accepting, so that new connections wait in the kernel's queue, first come
  first served, for a worker with room;
- a response given at the cap says ``Connection: close``, so that the client's (or the proxy's)
  next request goes through that queue too instead of staying on a busy worker;
- below the cap, connections are kept alive as usual.

What the cap must not do is let a few slow clients stop a worker from accepting, as six of them
did with sync workers: a new connection that has sent nothing yet waits in the event loop, not in
a thread (the stock worker gives it a thread for up to 5 s), and a request counts towards the cap
only for its first second (``SLOW_SECONDS``): past that it is slow for reasons of its own (a
client trickling its body, a long report) and sharing the CPU fairly no longer concerns it.
Threads beyond the cap still serve kept-alive connections, as in the stock worker.
"""

from __future__ import annotations

import os
import selectors
import time
from functools import partial

from gunicorn.workers.gthread import DEFAULT_WORKER_DATA_TIMEOUT, ThreadWorker

SLOW_SECONDS = 1.0
DEFAULT_MAX_INFLIGHT = 2


class BalancedThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cap = os.environ.get("GUNICORN_MAX_INFLIGHT") or DEFAULT_MAX_INFLIGHT
        self.max_inflight = max(1, int(cap))
        # When each connection now in the thread pool was handed to it. Only the event loop
        # (the main thread) changes it; the pool's threads read it.
        self.inflight: dict[int, float] = {}

    def busy(self) -> int:
        """Requests in the pool that count towards the cap (see the module's docstring)."""
        since = time.monotonic() - SLOW_SECONDS
        return sum(started > since for started in list(self.inflight.values()))

    def set_accept_enabled(self, enabled: bool) -> None:
        # The event loop asks for accepting whenever it has room for connections (and again on
        # every turn while it is off): room in the pool is what decides here.
        super().set_accept_enabled(enabled and self.busy() < self.max_inflight)

    def enqueue_req(self, conn) -> None:
        if not conn.initialized and not conn.data_ready and not conn.wait_for_data(0):
            # A new connection that has sent nothing yet waits in the event loop (the stock
            # worker gives it a thread for up to 5 s first), for as long in all.
            conn.sock.setblocking(False)
            conn.timeout = time.monotonic() + DEFAULT_WORKER_DATA_TIMEOUT + self.cfg.keepalive
            self.pending_conns.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ,
                                 partial(self.on_pending_socket_readable, conn))
            return
        self.inflight[id(conn)] = time.monotonic()
        if self._accepting and self.busy() >= self.max_inflight:
            self.set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn, fs) -> None:
        self.inflight.pop(id(conn), None)
        super().finish_request(conn, fs)

    def handle_request(self, req, conn):
        if self.busy() >= self.max_inflight:
            req.must_close = True  # Connection: close, and the next request queues fairly
        return super().handle_request(req, conn)
