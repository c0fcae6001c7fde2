"""allauth adapters: nobody signs up through allauth (members join by invitation, operators are
created by operators), and e-mails and authenticator apps name the workspace."""

from __future__ import annotations

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest


def site_name(request: HttpRequest | None) -> str:
    """The workspace's name on a tenant host, the platform's on the public host."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or getattr(tenant, "schema_name", "public") == "public":
        return "SaaS platform"
    from tenant_apps.core.pages import workspace

    return workspace(request).display_name or tenant.name


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Tenant hosts: members join by invitation only. Public host: operators are created by
        # other operators (createsuperuser, the console); new customers create a workspace, not
        # an allauth account.
        return False

    def add_message(self, request, level, message_template=None, *args, **kwargs) -> None:
        # No "Successfully signed in" toast: the dashboard says it, and on a phone the toast
        # would cover the first page's buttons for its first seconds.
        if message_template == "account/messages/logged_in.txt":
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # The e-mails greet with the workspace's name, not the bare host name.
        super().send_mail(template_prefix, email,
                          {**context, "workspace_name": site_name(self.request)})

    def format_email_subject(self, subject: str) -> str:
        return f"[{site_name(self.request)}] {subject}"

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """allauth asks for the password again before a sensitive change (two-factor, e-mail,
        sessions) unless it was just confirmed. A sign-in with the password within the same
        window counts too: a member sent to enrolment right after signing in is not asked
        twice in a row."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        from allauth.account.internal.flows.login import get_authentication_records
        from allauth.core import context

        request = context.request
        if request is None or not request.user.is_authenticated:
            return True
        now = time.time()
        return not any(
            record.get("method") == "password"
            and now - record.get("at", 0) < account_settings.REAUTHENTICATION_TIMEOUT
            for record in get_authentication_records(request, request.user))


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        # The authenticator app lists the entry under the workspace's name.
        from allauth.core import context

        return site_name(context.request)

    def can_delete_authenticator(self, authenticator) -> bool:
        # Where two-factor is required (the workspace's policy, or operators in production),
        # the authenticator app cannot be turned off.
        from allauth.core import context

        from shared_apps.accounts.mfa import two_factor_required

        request = context.request
        return not (authenticator.type == authenticator.Type.TOTP and request is not None
                    and two_factor_required(request))
