"""The tenant API served WITHOUT tenant routing, as the baseline of ``bench/routing.py``.

Everything the routed configuration (``production``) does per request is kept (same security,
session, auth and DRF settings, same middleware), except what multi-tenancy adds: the host ->
tenant middleware, django-tenants' database backend (search_path handling) and router, and the
schema-prefixed cache keys. The tables live in the ``public`` schema of a database of their
own. Never used outside the benchmark.
"""

from saas_platform.settings.production import *  # noqa: F403
from saas_platform.settings.production import BASE_DOMAIN, CACHES, DATABASES, MIDDLEWARE

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "shared_apps.accounts",
    # DEFAULT_AUTHENTICATION_CLASSES tries API keys first, so their model must exist here too.
    "tenant_apps.core",
]
# The routing middleware's place is taken by one that only sets request.tenant, which the view
# reads; a single-schema product would have that object as a constant. The other middleware
# (request log and metrics, outages) stays: it is not what multi-tenancy adds.
MIDDLEWARE = [
    "saas_platform.urls_bench_plain.StaticTenantMiddleware"
    if m == "tenants.middleware.TenantRoutingMiddleware" else m
    for m in MIDDLEWARE
]
ROOT_URLCONF = "saas_platform.urls_bench_plain"
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}"]

DATABASES = {"default": {**DATABASES["default"], "ENGINE": "django.db.backends.postgresql"}}
DATABASE_ROUTERS: list[str] = []
CACHES = {
    "default": {
        k: v
        for k, v in CACHES["default"].items()
        if k not in ("KEY_FUNCTION", "REVERSE_KEY_FUNCTION")
    }
}
