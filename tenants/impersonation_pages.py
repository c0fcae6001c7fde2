"""The tenant host's side of impersonation (tenants/impersonation.py): entering with a link,
the banner's End button, and the middleware that guards and logs every impersonated request.
Mounted at /support/ by saas_platform/urls_tenant.py; the middleware is in MIDDLEWARE."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import login, logout
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shared_apps.audit.signals import IMPERSONATION_LOGIN
from tenant_apps.core.errors import PlatformError
from tenant_apps.core.services.audit import tenant_audit
from tenants.errors import error_response
from tenants.impersonation import (
    EXPIRES_KEY,
    IMPERSONATION_KEY,
    IMPERSONATOR_KEY,
    impersonation_end,
    impersonation_enter,
    link_address,
    path_refused,
    support_access_on,
)
from tenants.middleware import request_hostname

END_PATH = "/support/end"
REFUSED = ("Not while an operator is viewing as this member: credentials and the workspace's "
           "danger zone are off limits.")


def _end_session(request: HttpRequest, reason: str) -> None:
    impersonation_id = request.session.get(IMPERSONATION_KEY)
    if impersonation_id is not None:
        impersonation_end(impersonation_id=impersonation_id, reason=reason,
                          ip=request.META.get("REMOTE_ADDR", ""))
    logout(request)  # flushes the session: nothing of the visit survives it


@never_cache
def enter(request: HttpRequest, token: str) -> HttpResponse:
    try:
        impersonation, user = impersonation_enter(
            token=token, host=request_hostname(request), tenant=request.tenant,
            ip=request.META.get("REMOTE_ADDR", ""))
    except PlatformError as exc:
        return render(request, "support/invalid.html", {"message": exc.message},
                      status=exc.status)
    if request.user.is_authenticated:
        logout(request)  # whoever was signed in here before is not carried into the visit
    setattr(request, IMPERSONATION_LOGIN, True)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    expires = impersonation.session_expires_at
    request.session[IMPERSONATOR_KEY] = impersonation.operator
    request.session[IMPERSONATION_KEY] = impersonation.pk
    request.session[EXPIRES_KEY] = expires.timestamp()
    request.session.set_expiry(settings.IMPERSONATION_SESSION_SECONDS)
    return redirect("home")


@require_POST
def end(request: HttpRequest) -> HttpResponse:
    if request.session.get(IMPERSONATION_KEY) is not None:
        _end_session(request, "ended")
    return render(request, "support/ended.html",
                  {"console": f"//{settings.BASE_DOMAIN}{_port(request)}/console/"})


def _port(request: HttpRequest) -> str:
    port = link_address(request)["port"]
    return f":{port}" if port else ""


def support_banner(request: HttpRequest) -> dict:
    """The banner's facts (templates/base.html), on every page of an impersonated session."""
    session = getattr(request, "session", None)
    if session is None or connection.schema_name == "public":
        return {}
    operator = session.get(IMPERSONATOR_KEY)
    if not operator:
        return {}
    from datetime import UTC, datetime

    return {"support_visit": {
        "operator": operator, "end_url": END_PATH,
        "until": datetime.fromtimestamp(session.get(EXPIRES_KEY, 0), tz=UTC)}}


class ImpersonationMiddleware:
    """For a session that is an operator's visit: end it when its 30 minutes are up or the
    workspace withdrew consent; refuse credential and danger-zone paths with 403; log every
    request (method, path, status) in the workspace's audit log, with the operator named."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (session is None or connection.schema_name == "public"
                or session.get(IMPERSONATION_KEY) is None):
            return self.get_response(request)
        if time.time() >= session.get(EXPIRES_KEY, 0):
            _end_session(request, "expired")
            return redirect(settings.LOGIN_URL)
        if not support_access_on():
            _end_session(request, "support_access_off")
            return redirect(settings.LOGIN_URL)
        if path_refused(request.path, request.method):
            self._log(request, 403)
            # JSON for API clients, the 403 page for browsers.
            return error_response(request, 403, "impersonation_refused", REFUSED)
        response = self.get_response(request)
        if request.path != END_PATH:
            self._log(request, response.status_code)
        return response

    @staticmethod
    def _log(request: HttpRequest, status: int) -> None:
        tenant_audit("impersonation.request", target=f"{request.method} {request.path}"[:200],
                     detail={"status": status})


urlpatterns = [
    path("enter/<str:token>", enter, name="support-enter"),
    path("end", end, name="support-end"),
]
