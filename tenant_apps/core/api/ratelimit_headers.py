"""``RateLimit-Policy`` and ``RateLimit`` headers (IETF draft-ietf-httpapi-ratelimit-headers)
on API responses, from the counters the throttles (throttling.py) already read for the request:
no extra Redis round trip. One item per limit that applies: ``"tenant"`` (all requests to the
tenant's API) and, for an API key, ``"api_key"``::

    RateLimit-Policy: "tenant";q=6000;w=60, "api_key";q=1200;w=60
    RateLimit: "tenant";r=5998;t=41, "api_key";r=1187;t=41

``q`` is the quota per window of ``w`` seconds, ``r`` what is left of it, ``t`` the seconds
until the window resets. DRF checks throttles after authentication and permissions: a 401 or
403 is not counted (an anonymous flood must not spend a tenant's budget), and carries the
headers of the current windows read without counting (one Redis GET per limit, on refusals
only; errors.py).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def _items(states, render: Callable) -> str:
    return ", ".join(f'"{state.scope}";{render(state)}' for state in states)


class RateLimitHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        states = getattr(request, "rate_limits", None)
        if states:
            response["RateLimit-Policy"] = _items(states, lambda s: f"q={s.limit};w={s.window}")
            response["RateLimit"] = _items(states, lambda s: f"r={s.remaining};t={s.reset}")
        return response
