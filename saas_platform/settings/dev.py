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
