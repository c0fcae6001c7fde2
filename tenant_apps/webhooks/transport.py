"""One HTTP POST to a vetted, pinned address (ssrf.Target): the connection goes to
``target.ip``, the request carries the name in Host and (https) in SNI and certificate check.
No redirect is followed, nothing is retried here, one timeout bounds the whole attempt."""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3

from tenant_apps.webhooks.ssrf import Target

RESPONSE_EXCERPT_BYTES = 2048


@dataclass(frozen=True)
class Outcome:
    status: int | None
    body: str
    duration_ms: int
    error: str = ""
    retry_after: str | None = None


def post(target: Target, *, headers: dict[str, str], body: bytes, timeout: float) -> Outcome:
    common = {"port": target.port, "maxsize": 1, "retries": False,
              "timeout": urllib3.Timeout(total=timeout)}
    if target.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            target.ip, server_hostname=target.host, assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED", **common)
    else:
        pool = urllib3.HTTPConnectionPool(target.ip, **common)
    started = time.monotonic()
    try:
        response = pool.urlopen("POST", target.path, body=body,
                                headers={**headers, "Host": target.host_header},
                                redirect=False, retries=False, preload_content=False,
                                assert_same_host=False)
        try:
            excerpt = response.read(RESPONSE_EXCERPT_BYTES, decode_content=False)
        finally:
            response.release_conn()
        return Outcome(status=response.status, body=excerpt.decode("utf-8", "replace"),
                       duration_ms=int((time.monotonic() - started) * 1000),
                       retry_after=response.headers.get("Retry-After"))
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        return Outcome(status=None, body="", error=f"{type(exc).__name__}: {reason}"[:300],
                       duration_ms=int((time.monotonic() - started) * 1000))
    finally:
        pool.close()
