"""A real HTTP receiver on loopback (allow-listed in test settings), answering what the test
scripts and recording every request it gets."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int
    requests: list[Received] = field(default_factory=list)
    # Each request pops the next answer (status, headers); the last one repeats.
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=lambda: [(200, {})])
    # Called with each request before it is answered (a test may block here).
    on_request: Callable[[Received], None] | None = None
    got_one: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer(self, *answers: tuple[int, dict[str, str]] | int) -> None:
        self.answers = [a if isinstance(a, tuple) else (a, {}) for a in answers]


def _start(receiver_factory) -> tuple[Receiver, ThreadingHTTPServer]:
    state: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver: Receiver = state["receiver"]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            receiver.requests.append(got)
            receiver.got_one.set()
            if receiver.on_request is not None:
                receiver.on_request(got)
            status, headers = (receiver.answers.pop(0) if len(receiver.answers) > 1
                               else receiver.answers[0])
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = receiver_factory(server.server_address[1])
    state["receiver"] = receiver
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver, server = _start(Receiver)
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def another_receiver() -> Iterator[Receiver]:
    receiver, server = _start(Receiver)
    yield receiver
    server.shutdown()
    server.server_close()


class FakeClock:
    def __init__(self) -> None:
        from django.utils import timezone

        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, delta) -> None:
        self.now += delta


@pytest.fixture
def fake_clock(monkeypatch) -> FakeClock:
    from tenant_apps.webhooks import clock

    fake = FakeClock()
    monkeypatch.setattr(clock, "now", fake)
    return fake
