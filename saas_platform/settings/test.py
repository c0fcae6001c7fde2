"""The test suite: real PostgreSQL and Redis (DATABASE_URL / REDIS_URL, as ``make test`` sets).

Several suites may run at once against the same servers (developers, CI, benchmarks): the test
database name, the cache key prefix and the Celery queue are unique to this run."""

import uuid

from saas_platform.settings.base import *  # noqa: F403
from saas_platform.settings.base import env

RUN_ID = uuid.uuid4().hex[:8]

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="test-insecure-key-" + "x" * 40)
# Argon2 is deliberately slow; tests create hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": env.str("TEST_DATABASE_NAME", default=f"test_saas_{RUN_ID}"),
}
CACHES["default"]["KEY_PREFIX"] = f"test-{RUN_ID}"  # noqa: F405
CELERY_TASK_DEFAULT_QUEUE = f"test-{RUN_ID}"
# No `collectstatic` in tests: WhiteNoise serves the apps' static directories, as in development.
WHITENOISE_USE_FINDERS = True
# Low, so that tests see another process's routing change quickly.
TENANT_ROUTING_CHECK_SECONDS = 0.05
# The registry fingerprint query would show up in tests that count a warm request's queries;
# tests of it build their own router with a short interval.
TENANT_ROUTING_DB_CHECK_SECONDS = 3600.0
# tests/fleet/test_migrate_all.py runs manage.py in a subprocess with a probe tenant app whose
# migrations it writes into a scratch package (never set otherwise).
if env.str("FLEET_PROBE_MIGRATIONS", default=""):
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.fleet.probe"]  # noqa: F405
    TENANT_APPS = [*TENANT_APPS, "tests.fleet.probe"]  # noqa: F405
    MIGRATION_MODULES = {"probe": env.str("FLEET_PROBE_MIGRATIONS")}

# Test receivers listen on loopback over http; the SSRF tests empty the allow-list.
WEBHOOK_REQUIRE_HTTPS = False
WEBHOOK_ALLOWED_HOSTS = ["localhost", "127.0.0.0/8", "::1/128"]

# Links in e-mails: http://<slug>.localhost (the test client's hosts).
SITE_SCHEME = "http"
SITE_PORT = ""
# Tests that need a second factor for operators turn it on themselves.
OPERATOR_MFA_REQUIRED = False
