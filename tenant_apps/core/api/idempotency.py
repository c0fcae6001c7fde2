"""``Idempotency-Key`` for POSTs that create things (movements, check-ins).

A client that did not see the answer to a POST retries it with the same key; the retry gets the
first response back and nothing is written twice. Records live in the tenant's schema (so a key
means nothing in another tenant), are scoped to the caller and the endpoint, and are written in
the same transaction as the view's own writes: either both exist or neither does. A request that
reuses a key with a different body is refused (422), and one that arrives while the first is
still running waits for it (an advisory lock on the key, held until the first commits) and
then replays it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.response import Response

from tenant_apps.core.api.key_authentication import request_api_key
from tenant_apps.core.errors import Conflict, InvalidInput, Unprocessable

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Records older than this are deleted (core.purge_idempotency_records, daily): a retry within
# the window replays the first response; one after it is a new request.
RETENTION_HOURS = 24


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _caller(request) -> str:
    api_key = request_api_key(request)
    if api_key is not None:
        return f"key:{api_key.prefix}"
    return f"user:{request.user.pk}"


def idempotent(view_method):
    """Decorate a DRF view's ``post``: replays the stored response for a repeated key."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        from tenant_apps.core.models import IdempotencyRecord

        key = request.headers.get(HEADER)
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise InvalidInput(fields={HEADER: [f"At most {MAX_KEY_LENGTH} printable characters."]})
        fingerprint = _fingerprint(request)
        caller = _caller(request)
        with transaction.atomic():
            # Copies of one request sent at once (a client retrying on a flaky network): before
            # the first has committed there is no record row to lock, and each copy would run
            # the view, so the losers got the view's own conflict (already_checked_in). A
            # transaction-scoped advisory lock on (schema, caller, endpoint, key) makes them
            # wait for the first; under READ COMMITTED they then see its record and replay it.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended("
                               "current_schema() || %s, 0))",
                               [f"\n{caller}\n{request.path}\n{key}"])
            record = (IdempotencyRecord.objects.select_for_update()
                      .filter(key=key, caller=caller, path=request.path).first())
            if record is not None and record.created_at < timezone.now() - dt.timedelta(
                    hours=RETENTION_HOURS):
                record.delete()  # expired (the daily purge has not run yet): a new request
                record = None
            if record is not None:
                if record.fingerprint != fingerprint:
                    raise Unprocessable(
                        "This Idempotency-Key was used with a different request.",
                        code="idempotency_key_reused")
                response = Response(record.response_body, status=record.status_code)
                response["Idempotent-Replayed"] = "true"
                return response
            response = view_method(self, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                try:
                    with transaction.atomic():
                        IdempotencyRecord.objects.create(
                            key=key, caller=caller, path=request.path, fingerprint=fingerprint,
                            status_code=response.status_code, response_body=response.data)
                except IntegrityError:
                    # Cannot happen while the advisory lock is held (kept as a safety net): a
                    # concurrent request with this key committed first; raising rolls back
                    # everything this one wrote. Its retry will replay the winner's response.
                    raise Conflict("A request with this Idempotency-Key was being processed at "
                                   "the same time; retry it.",
                                   code="idempotency_conflict") from None
            return response

    # Read by the OpenAPI post-processing (schema.py), which documents the header on exactly
    # the operations that honour it.
    wrapper.idempotent = True
    return wrapper
