"""The e-mails the core sends, through Django's e-mail backend (configured in settings): plain
text and HTML alternatives rendered from templates/email/."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def email_send(*, to: list[str], subject: str, template: str, context: dict) -> None:
    """``template`` names ``templates/email/<template>.txt`` and ``.html``."""
    text = render_to_string(f"email/{template}.txt", context)
    html = render_to_string(f"email/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text,
                                     from_email=settings.DEFAULT_FROM_EMAIL, to=to)
    message.attach_alternative(html, "text/html")
    message.send()


def invitation_email_send(*, invitation, link: str, workspace_name: str,
                          invited_by=None) -> None:
    """A team invitation, or (no inviter, role owner) the new workspace owner's welcome."""
    new_workspace = invited_by is None and invitation.role == "owner"
    subject = (f"Your workspace {workspace_name} is ready: set your password" if new_workspace
               else f"You are invited to join {workspace_name}")
    inviter = (invited_by.full_name or invited_by.email) if invited_by is not None else ""
    email_send(to=[invitation.email], subject=subject, template="invitation", context={
        "link": link, "workspace_name": workspace_name, "role": invitation.get_role_display(),
        "inviter": inviter, "new_workspace": new_workspace, "expires_at": invitation.expires_at,
        "email": invitation.email})
