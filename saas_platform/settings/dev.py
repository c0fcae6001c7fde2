"""Local development (``make run``): DEBUG on, a fixed insecure key unless one is given."""

from saas_platform.settings.base import *  # noqa: F403
from saas_platform.settings.base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-key-change-me-" + "x" * 32)
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

# The example receiver (python -m tenant_apps.webhooks.receiver) listens on loopback, over http.
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=False)
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS",
                                 default=["localhost", "127.0.0.0/8", "::1/128"])

# make run serves plain http on PORT: the links in e-mails say so.
SITE_SCHEME = env.str("SITE_SCHEME", default="http")
SITE_PORT = env.str("SITE_PORT", default=env.str("PORT", default="8000"))
# Every message `make run` sends is a file under .data/mail/, listed with clickable links at
# http://localhost:8000/dev/mail/ (shared_apps/accounts/dev_mail.py): no mail server needed.
if not env.str("EMAIL_URL", default="") and not env.str("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=BASE_DIR / ".data" / "mail")  # noqa: F405
