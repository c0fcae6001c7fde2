"""E-mail leaves through the backend the environment configures: a real SMTP server receives a
password reset, and `make run`'s file backend is readable in the browser."""

from __future__ import annotations

import email
import email.policy
import socket
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory

from shared_apps.accounts import dev_mail
from tests.accounts.helpers import LINK, browser_client

BASE_SETTINGS = Path(django_settings.BASE_DIR) / "saas_platform" / "settings" / "base.py"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _settings_from_environment(monkeypatch, **environ) -> dict:
    """The settings base.py computes for these environment variables."""
    import runpy

    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_SETTINGS))


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 Message accepted for delivery"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_a_password_reset_is_delivered_over_smtp_as_email_url_says(
        db, make_user, settings, smtp_server, monkeypatch):
    controller, inbox = smtp_server
    configured = _settings_from_environment(
        monkeypatch, EMAIL_URL=f"smtp://127.0.0.1:{controller.port}",
        DEFAULT_FROM_EMAIL="Acme accounts <accounts@platform.test>")
    assert configured["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    for name in ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL",
                 "DEFAULT_FROM_EMAIL"):
        if name in configured:
            setattr(settings, name, configured[name])
    make_user("acme", email="smtp@acme.test", password="old-pass-word-1")

    response = browser_client("acme").post("/accounts/password/reset/",
                                           {"email": "smtp@acme.test"})

    assert response.status_code == 302
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["smtp@acme.test"]
    assert envelope.mail_from == "accounts@platform.test"
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"].startswith("[Acme] ")
    body = message.get_body(preferencelist=("plain",)).get_content()
    (link,) = [m for m in LINK.finditer(body) if "/password/reset/key/" in m["path"]]
    assert link["host"] == "acme.localhost"
    assert browser_client("acme").get(link["path"], follow=True).status_code == 200


def test_the_usual_email_variables_work_without_email_url(monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    configured = _settings_from_environment(
        monkeypatch, EMAIL_HOST="mail.example.net", EMAIL_PORT="587", EMAIL_USE_TLS="true",
        EMAIL_HOST_USER="postmaster", EMAIL_HOST_PASSWORD="secret")
    assert (configured["EMAIL_HOST"], configured["EMAIL_PORT"], configured["EMAIL_USE_TLS"],
            configured["EMAIL_HOST_USER"]) == ("mail.example.net", 587, True, "postmaster")


def test_the_dev_mail_viewer_lists_sent_mail_with_clickable_links(
        db, make_user, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.DEBUG = True
    make_user("acme", email="dev@acme.test")
    browser_client("acme").post("/accounts/password/reset/", {"email": "dev@acme.test"})

    page = dev_mail.mailbox(RequestFactory().get("/dev/mail/", HTTP_HOST="localhost"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "[Acme] Password Reset" in html and "To dev@acme.test" in html
    assert '<a href="http://acme.localhost/accounts/password/reset/key/' in html

    settings.DEBUG = False
    with pytest.raises(dev_mail.Http404):
        dev_mail.mailbox(RequestFactory().get("/dev/mail/", HTTP_HOST="localhost"))
