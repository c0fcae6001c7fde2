"""A WSGI app that answers after ``?sleep=<seconds>``, touching the file ``?started=<path>`` when
it begins and ``?done=<path>`` when it ends, if given (so that a test knows what the server did
when, whatever its client threads saw): the shipped gunicorn worker's scheduling, tested
without the platform's own timings in the way (tests/faults/test_fair_workers.py)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs


def app(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "started" in query:
        Path(query["started"][0]).touch()
    time.sleep(float(query.get("sleep", ["0"])[0]))
    if "done" in query:
        Path(query["done"][0]).touch()
    body = b"ok"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
