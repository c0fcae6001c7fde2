"""A WSGI app that answers after ``?sleep=<seconds>``: the shipped gunicorn worker's scheduling,
tested without the platform's own timings in the way (tests/faults/test_fair_workers.py)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs


def app(environ, start_response):
    time.sleep(float(parse_qs(environ.get("QUERY_STRING", "")).get("sleep", ["0"])[0]))
    body = b"ok"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
