"""Who is acting, for the audit logs: the signed-in user (or API key's user) of the current
request, an operator impersonating them, or a named actor set by the CLI and by tasks.

The request is remembered by ``ActorMiddleware`` and the user read only when an entry is written,
so that an API request, whose user DRF authenticates inside the view, is attributed too."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Actor:
    label: str  # an e-mail address, "cli:<login>", "system", "anonymous"
    user_id: int | None = None
    impersonator: str = ""  # the operator acting as this user, if any
    ip: str = ""


SYSTEM = Actor("system")

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_named: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Attribute what runs inside to ``actor`` (the CLI, a task on someone's behalf)."""
    token = _named.set(actor)
    try:
        yield
    finally:
        _named.reset(token)


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def current_actor() -> Actor:
    named = _named.get()
    if named is not None:
        return named
    request = _request.get()
    if request is None:
        return SYSTEM
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    impersonator = (session.get("impersonator_email", "") if session is not None else "")
    if user is not None and user.is_authenticated:
        return Actor(user.email, user.pk, impersonator, _client_ip(request))
    return Actor("anonymous", None, "", _client_ip(request))


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
