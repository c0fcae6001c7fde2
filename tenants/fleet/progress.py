"""The terminal progress line of a fleet run: done/total, rate, ETA. Redrawn in place on a
terminal; on a pipe (CI logs) one line per tenth of the run."""

from __future__ import annotations

import threading
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, stream: TextIO, label: str = "tenants") -> None:
        self.total, self.stream, self.label = total, stream, label
        self.done = self.failed = 0
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._last_tenth = -1

    def advance(self, *, failed: bool = False) -> None:
        with self._lock:
            self.done += 1
            self.failed += failed
            self._draw(final=self.done == self.total)

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate else 0.0
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        failed = f", {self.failed} failed" if self.failed else ""
        return (f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{self.label}{failed}  {rate:,.0f}/s  ETA {eta:,.0f}s")

    def _draw(self, *, final: bool) -> None:
        now = time.monotonic()
        if self._tty:
            if final or now - self._last_draw > 0.1:
                self._last_draw = now
                self.stream.write("\r" + self.line() + ("\n" if final else ""))
                self.stream.flush()
            return
        tenth = int(10 * self.done / self.total) if self.total else 10
        if tenth != self._last_tenth or final:
            self._last_tenth = tenth
            self.stream.write(self.line() + "\n")
            self.stream.flush()
