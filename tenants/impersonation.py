"""Impersonation for support: an operator "views as" one member of a tenant (docs/audit.md).

1. ``impersonation_start`` (console, operator API, CLI): a link to the tenant's own host,
   ``/support/enter/<token>``, valid for IMPERSONATION_TOKEN_SECONDS (60 s). The token is signed
   with the project's key and a salt of its own (a forged or stale one is refused before any
   lookup) and only its SHA-256 is stored, in ``public``, with the host it is bound to.
   Refused when the workspace's owner has switched support access off. Platform log:
   ``impersonation.start``.
2. ``impersonation_enter`` (the tenant host): the token is used up (``used_at``, under a row
   lock, so two requests with it cannot both enter), checked against the host, its expiry and
   the workspace's consent again; the browser is signed in as the member for at most
   IMPERSONATION_SESSION_SECONDS (30 min). Tenant log: ``impersonation.start``.
3. While it lasts, ``ImpersonationMiddleware`` refuses credential and danger-zone pages (403),
   logs every request in the tenant's log with the operator as ``impersonator``, and ends the
   visit when its time is up or consent is withdrawn.
4. ``impersonation_end`` (the banner's End button, expiry, consent withdrawn): both logs get
   ``impersonation.end``, attributed to the operator.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from shared_apps.audit.models import Impersonation
from shared_apps.audit.services import platform_audit
from tenant_apps.core.actor import Actor, acting_as, current_actor
from tenant_apps.core.errors import Forbidden, InvalidInput, NotFound
from tenant_apps.core.services.audit import tenant_audit
from tenant_apps.core.services.workspace import workspace_settings_get
from tenants.models import Domain, Tenant, TenantState

SALT = "support.impersonation"
ENTER_PATH = "/support/enter/"
# Session keys (tenant_apps/core/actor.py reads IMPERSONATOR_KEY for every audit entry).
IMPERSONATOR_KEY = "impersonator_email"
IMPERSONATION_KEY = "impersonation_id"
EXPIRES_KEY = "impersonation_expires"

# Refused while impersonating, whatever the method: credentials (API keys; the accounts pages'
# password, e-mail and two-factor settings) ...
CREDENTIAL_PATHS = ("/settings/api-keys/", "/api/v1/api-keys", "/accounts/password/",
                    "/accounts/email/", "/accounts/2fa/", "/accounts/mfa/",
                    "/accounts/reauthenticate/", "/accounts/sessions/", "/password_change/")
# ... and, for any change (GET still shows them), the workspace's danger zone: its domains, the
# support-access switch, its members and roles.
DANGER_ZONE_PATHS = ("/settings/domains/", "/api/v1/domains", "/settings/support-access",
                     "/settings/members/", "/api/v1/members", "/api/v1/invitations",
                     "/settings/invitations/", "/team/")


def _public():
    # A tenant's search_path holds its schema only (tenants/postgresql_backend): the
    # impersonation records and the platform log are reached explicitly.
    return schema_context(get_public_schema_name())


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _invalid() -> NotFound:
    # Unknown, forged, used, expired and foreign-host tokens look alike to whoever holds one.
    return NotFound("This support link is invalid, was already used or has expired.",
                    code="impersonation_invalid")


def _primary_host(tenant: Tenant) -> str:
    domain = (Domain.objects.filter(tenant=tenant).order_by("-is_primary", "id")
              .values_list("domain", flat=True).first())
    return domain or f"{tenant.slug}.{settings.BASE_DOMAIN}"


def _support_access(schema_name: str) -> bool:
    with schema_context(schema_name):
        return workspace_settings_get().support_access


def tenant_users_for_support(*, tenant: Tenant, limit: int = 50) -> list[dict]:
    """The tenant's active members an operator may view as (owners first)."""
    User = get_user_model()
    with schema_context(tenant.schema_name):
        rows = list(User.objects.filter(is_active=True).order_by("email")
                    .values("email", "role", "last_login")[:limit])
    order = {"owner": 0, "admin": 1, "member": 2, "viewer": 3}
    return sorted(rows, key=lambda r: (order.get(r["role"], 9), r["email"]))


@dataclass(frozen=True)
class StartedImpersonation:
    impersonation: Impersonation
    link: str


@transaction.atomic
def impersonation_start(*, slug: str, user_email: str, operator=None, scheme: str = "https",
                        port: int | str | None = None) -> StartedImpersonation:
    """A single-use link, valid 60 s, that signs ``operator`` (a public user; default: whoever
    acts now, e.g. ``cli:<login>``) in on the tenant's host as the member ``user_email``."""
    acting = current_actor()
    if operator is not None:
        acting = Actor(operator.email, operator.pk, ip=acting.ip)
    tenant = Tenant.objects.filter(slug=slug).exclude(schema_name="public").first()
    if tenant is None:
        raise NotFound(f"No tenant '{slug}'.", code="tenant_not_found")
    if tenant.state != TenantState.ACTIVE:
        raise Forbidden(f"Tenant '{slug}' is {tenant.state}; only an active tenant can be "
                        "viewed as one of its members.", code="tenant_not_active")
    user_email = (user_email or "").strip().lower()
    if not user_email:
        raise InvalidInput(fields={"user_email": ["This field is required."]})
    User = get_user_model()
    with schema_context(tenant.schema_name):
        user = User.objects.filter(email__iexact=user_email, is_active=True).first()
        consent = workspace_settings_get().support_access
    if user is None:
        raise InvalidInput(fields={"user_email": [f"No active member {user_email} in {slug}."]})
    if not consent:
        raise Forbidden(f"The owner of '{slug}' has switched support access off.",
                        code="support_access_off")
    raw = secrets.token_urlsafe(32)
    token = signing.TimestampSigner(salt=SALT).sign(raw)
    now = timezone.now()
    host = _primary_host(tenant)
    impersonation = Impersonation.objects.create(
        tenant_slug=slug, host=host, operator=acting.label, operator_id=acting.user_id,
        user_email=user.email, token_hash=hash_token(raw),
        token_expires_at=now + timedelta(seconds=settings.IMPERSONATION_TOKEN_SECONDS))
    platform_audit("impersonation.start", target=slug, actor=acting, detail={
        "impersonation_id": impersonation.pk, "user_email": user.email, "host": host})
    port_part = f":{port}" if port and str(port) not in ("80", "443") else ""
    return StartedImpersonation(impersonation, f"{scheme}://{host}{port_part}{ENTER_PATH}{token}")


@transaction.atomic
def impersonation_enter(*, token: str, host: str, tenant: Tenant, ip: str = ""):
    """Use up ``token`` on ``host`` (the request's, without port) of ``tenant``: returns the
    Impersonation and the member to sign in. Called in the tenant's schema."""
    try:
        raw = signing.TimestampSigner(salt=SALT).unsign(
            token, max_age=settings.IMPERSONATION_TOKEN_SECONDS)
    except signing.BadSignature:  # SignatureExpired included
        raise _invalid() from None
    with _public():
        impersonation = (Impersonation.objects.select_for_update()
                         .filter(token_hash=hash_token(raw)).first())
    now = timezone.now()
    if (impersonation is None or impersonation.used_at is not None
            or impersonation.token_expires_at <= now
            or impersonation.tenant_slug != tenant.slug
            or impersonation.host != host.lower()):
        raise _invalid()
    if not workspace_settings_get().support_access:
        raise Forbidden("The owner of this workspace has switched support access off.",
                        code="support_access_off")
    user = get_user_model().objects.filter(email__iexact=impersonation.user_email,
                                           is_active=True).first()
    if user is None:
        raise _invalid()
    impersonation.used_at = now
    impersonation.session_expires_at = now + timedelta(
        seconds=settings.IMPERSONATION_SESSION_SECONDS)
    with _public():
        impersonation.save(update_fields=["used_at", "session_expires_at"])
    tenant_audit("impersonation.start", target=user.email, detail={
        "impersonation_id": impersonation.pk,
        "until": impersonation.session_expires_at.isoformat()},
        actor=Actor(user.email, user.pk, impersonation.operator, ip))
    return impersonation, user


@transaction.atomic
def impersonation_end(*, impersonation_id: int, reason: str, ip: str = "") -> Impersonation | None:
    """Record the end of a visit once, on both sides (called in the tenant's schema). The
    caller ends the browser session itself."""
    with _public():
        impersonation = (Impersonation.objects.select_for_update()
                         .filter(pk=impersonation_id).first())
        if impersonation is None or impersonation.ended_at is not None:
            return impersonation
        impersonation.ended_at = timezone.now()
        impersonation.end_reason = reason
        impersonation.save(update_fields=["ended_at", "end_reason"])
        detail = {"impersonation_id": impersonation.pk, "user_email": impersonation.user_email,
                  "reason": reason}
        operator = Actor(impersonation.operator, impersonation.operator_id, ip=ip)
        with acting_as(operator):
            platform_audit("impersonation.end", target=impersonation.tenant_slug,
                           detail=detail)
    user_id = get_user_model().objects.filter(
        email__iexact=impersonation.user_email).values_list("pk", flat=True).first()
    tenant_audit("impersonation.end", target=impersonation.user_email, detail=detail,
                 actor=Actor(impersonation.user_email, user_id, impersonation.operator, ip))
    return impersonation


def link_address(request) -> dict:
    """``scheme`` and ``port`` for a link to a tenant host, as the operator reached the public
    host: the port only when the Host header names one (``make run``'s :8000), never the
    application server's own port behind a proxy."""
    from django.http.request import split_domain_port

    _host, port = split_domain_port(request.get_host())
    return {"scheme": request.scheme, "port": port or None}


def support_access_on() -> bool:
    """The current workspace's consent (read per impersonated request)."""
    return workspace_settings_get().support_access


def path_refused(path: str, method: str) -> bool:
    if path.startswith(CREDENTIAL_PATHS):
        return True
    return method not in ("GET", "HEAD", "OPTIONS") and path.startswith(DANGER_ZONE_PATHS)
