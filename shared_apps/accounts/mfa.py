"""Two-factor: whether a user has it, and the gate that sends those who must have it to enrolment.

A workspace's owner can require two-factor of every member (``WorkspaceSettings.
require_two_factor``). Until enrolled, such a member reaches only the account pages (enrolment,
sign-out); every other page redirects to enrolment. The check reads the settings row the page
reads anyway (``pages.workspace``, once per request), so it costs pages no query. The API is
left alone: it would cost every API call a query, and it would protect nothing, since whoever
holds a password without a second factor can enrol one (API keys are not sessions anyway).

On the public host ``OPERATOR_MFA_REQUIRED`` requires it of operators: the operator console gates
itself with ``user_has_mfa`` (this middleware leaves the public host alone, so the operator API's
scripts keep working), and an operator cannot turn two-factor off while it is required."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

# Reachable without a second factor: allauth's pages (enrolment, sign-out, password), probes,
# static files, invitation links (a signed-in user may open one meant for someone else) and the
# API (see above).
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz", "/invitations/",
                   "/api/")


def user_has_mfa(user) -> bool:
    """True when ``user`` has an authenticator app (TOTP) enrolled, in the current schema."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def two_factor_required(request: HttpRequest) -> bool:
    """Must the signed-in user of ``request`` have two-factor here?"""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return False
    if getattr(tenant, "schema_name", "public") == "public":
        return bool(settings.OPERATOR_MFA_REQUIRED and request.user.is_staff)
    from tenant_apps.core.pages import workspace

    return workspace(request).require_two_factor


class RequireTwoFactorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        tenant = getattr(request, "tenant", None)
        if (tenant is not None and tenant.schema_name != "public"
                and user is not None and user.is_authenticated
                and not request.path.startswith(EXEMPT_PREFIXES)
                and two_factor_required(request) and not user_has_mfa(user)):
            return self._to_enrolment(request)
        return self.get_response(request)

    @staticmethod
    def _to_enrolment(request: HttpRequest) -> HttpResponse:
        url = f"{reverse('mfa_activate_totp')}?next={quote(request.get_full_path())}"
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
