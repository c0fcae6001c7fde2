"""Development only: the e-mails `make run` sent, read in the browser at /dev/mail/ on the public
host (mounted when DEBUG is on). Django's file backend writes each connection's messages to one
file under EMAIL_FILE_PATH (.data/mail/), separated by a line of 79 dashes; this lists them,
newest first, with their links clickable."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

SEPARATOR = "\n" + "-" * 79 + "\n"
SHOWN = 50


@dataclass
class Message:
    id: str
    subject: str
    to: str
    sender: str
    date: str
    body: str


def mail_dir() -> Path | None:
    folder = getattr(settings, "EMAIL_FILE_PATH", None)
    return Path(folder) if folder else None


def _body(message) -> str:
    part = message.get_body(preferencelist=("plain", "html")) if message.is_multipart() else message
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, KeyError):
        return part.get_payload(decode=True).decode(errors="replace")


def messages_sent(folder: Path, limit: int = SHOWN) -> list[Message]:
    """The newest ``limit`` messages in ``folder``, newest first."""
    files = sorted(folder.glob("*.log"), key=lambda f: f.stat().st_mtime, reverse=True)
    found: list[Message] = []
    for file in files:
        chunks = [c for c in file.read_bytes().decode(errors="replace").split(SEPARATOR)
                  if c.strip()]
        for index, chunk in reversed(list(enumerate(chunks))):
            parsed = email.message_from_string(chunk, policy=email.policy.default)
            found.append(Message(id=f"{file.stem}-{index}", subject=str(parsed["subject"] or ""),
                                 to=str(parsed["to"] or ""), sender=str(parsed["from"] or ""),
                                 date=str(parsed["date"] or ""), body=_body(parsed)))
            if len(found) >= limit:
                return found
    return found


def mailbox(request: HttpRequest) -> HttpResponse:
    folder = mail_dir()
    if not settings.DEBUG or folder is None:
        raise Http404("The mail viewer needs DEBUG and the file e-mail backend.")
    found = messages_sent(folder) if folder.is_dir() else []
    return render(request, "dev/mail.html", {"mail": found, "folder": folder})


urlpatterns = [path("", mailbox, name="dev-mail")]
