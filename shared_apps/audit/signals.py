"""Sign-ins and failed sign-ins, on both sides: Django's ``user_logged_in`` and
``user_login_failed`` (django-allauth sends them too). On the public host they go to the
platform log (operators), on a tenant host to that workspace's log. A login made by an operator's
"view as" is not a sign-in of the member: the impersonation entry records it instead."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import connection
from django.dispatch import receiver

from shared_apps.audit.services import platform_audit
from tenant_apps.core.actor import Actor, current_actor
from tenant_apps.core.services.audit import tenant_audit

IMPERSONATION_LOGIN = "_impersonation_login"


def _in_public() -> bool:
    return getattr(connection, "schema_name", "public") == "public"


@receiver(user_logged_in, dispatch_uid="audit-sign-in")
def _signed_in(sender, request, user, **kwargs) -> None:
    if request is not None and getattr(request, IMPERSONATION_LOGIN, False):
        return
    ip = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    actor = Actor(user.email, user.pk, ip=ip)
    if _in_public():
        platform_audit("operator.sign_in", target=user.email, actor=actor)
    else:
        tenant_audit("auth.sign_in", target=user.email, actor=actor)


@receiver(user_login_failed, dispatch_uid="audit-sign-in-failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django masks the password in ``credentials``; only the login tried is kept.
    login = str(credentials.get("email") or credentials.get("username") or "")[:200]
    ip = request.META.get("REMOTE_ADDR", "") if request is not None else current_actor().ip
    actor = Actor("anonymous", None, ip=ip)
    if _in_public():
        platform_audit("operator.sign_in_failed", target=login, actor=actor)
    else:
        tenant_audit("auth.sign_in_failed", target=login, actor=actor)
