"""Shared steps of the account tests: links out of e-mails, codes out of an authenticator."""

from __future__ import annotations

import itertools
import re
import time

from django.db import connection
from django_tenants.utils import schema_context

from tests.conftest import TenantClient

LINK = re.compile(r"https?://(?P<host>[^/\s]+)(?P<path>/[^\s]*)")
_addresses = itertools.count(1)


def links(message) -> list[tuple[str, str]]:
    """(host, path) of every link in an e-mail's text."""
    return [(m["host"], m["path"]) for m in LINK.finditer(message.body)]


def fresh_ip() -> str:
    """A client address no other test used: the sign-in throttles count per address, in Redis,
    for the whole test run."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def browser_client(slug: str) -> TenantClient:
    """A client that signs in through the pages, from an address of its own."""
    return TenantClient(slug, REMOTE_ADDR=fresh_ip())


def sign_in(client: TenantClient, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def enrol_totp(slug: str, user) -> tuple[str, list[str]]:
    """Give ``user`` an authenticator app and recovery codes, as enrolment does: (secret,
    recovery codes)."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    with schema_context(f"t_{slug}"):
        TOTP.activate(user, secret)
        codes = RecoveryCodes.activate(user).get_unused_codes()
    connection.set_schema_to_public()
    return secret, codes
