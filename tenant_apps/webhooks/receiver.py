"""An example webhook receiver, and the one `make run`'s demo endpoints point at.

    python -m tenant_apps.webhooks.receiver                  # port 8025, prints what arrives
    WEBHOOK_SECRET=whsec_... python -m tenant_apps.webhooks.receiver   # also checks signatures

It needs only the standard library and the ``standardwebhooks`` package (no Django): copy it as
the starting point of your own receiver. Several secrets (comma-separated) are tried in turn, so
one receiver can serve several endpoints. A receiver should:

* verify the signature over the raw body before parsing it (``Webhook.verify`` also refuses a
  timestamp more than 5 minutes away, which stops replays of captured requests);
* answer 2xx quickly and do slow work afterwards (the platform waits at most 15 s);
* de-duplicate on ``webhook-id``: delivery is at least once, so the same event can arrive twice;
* answer 410 Gone to make the platform stop sending (the endpoint is disabled).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SEEN_LIMIT = 10_000


class Handler(BaseHTTPRequestHandler):
    verifiers: list[Webhook] = []
    seen: dict[str, None] = {}

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.verifiers:
            for verifier in self.verifiers:
                try:
                    payload = verifier.verify(body, headers)
                    break
                except WebhookVerificationError:
                    continue
            else:
                self._answer(400, "bad signature")
                print(f"REFUSED {headers.get('webhook-id')}: no secret matches the signature")
                return
            state = "verified"
        else:
            payload, state = json.loads(body), "NOT verified (no WEBHOOK_SECRET)"
        msg_id = headers.get("webhook-id", "")
        duplicate = msg_id in self.seen
        self.seen[msg_id] = None
        if len(self.seen) > SEEN_LIMIT:
            self.seen.pop(next(iter(self.seen)))
        self._answer(200, "ok")
        print(f"{payload.get('type')} {msg_id} ({state}{', duplicate' if duplicate else ''}): "
              f"{json.dumps(payload.get('data'))}", flush=True)

    def _answer(self, status: int, text: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(text.encode())

    def log_message(self, format: str, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args()
    secrets = [s for s in os.environ.get("WEBHOOK_SECRET", "").split(",") if s.strip()]
    Handler.verifiers = [Webhook(s.strip()) for s in secrets]
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"Receiving webhooks on http://{args.host}:{args.port}/ "
          f"({len(secrets)} secret(s)); Ctrl-C stops.", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
