"""The "Find my workspace" e-mail."""

from __future__ import annotations

from django.conf import settings

from tenant_apps.core.mail import email_send
from tenants.signup.lookup import workspaces_of_email


def workspaces_email_send(*, email: str, scheme: str, port: str) -> int:
    email = email.strip().lower()
    tenants = workspaces_of_email(email)
    if not tenants:
        return 0
    suffix = f":{port}" if port else ""
    workspaces = [{"name": t.name, "url": f"{scheme}://{t.slug}.{settings.BASE_DOMAIN}{suffix}/"}
                  for t in tenants]
    email_send(to=[email], subject="Your workspaces", template="find_workspaces",
               context={"workspaces": workspaces, "email": email})
    return len(tenants)
