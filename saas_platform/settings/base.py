"""Settings shared by every environment. Everything configurable is read from the environment
here, in one place; ``dev``, ``test`` and ``production`` only change defaults and safety checks."""

from pathlib import Path

import environ

from saas_platform.settings.hosts import TenantAwareAllowedHosts

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)

# Tenant hosts are <slug>.BASE_DOMAIN; the bare BASE_DOMAIN and www.BASE_DOMAIN are public.
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost").lower().strip(".")
PUBLIC_HOSTS = (BASE_DOMAIN, f"www.{BASE_DOMAIN}")
# The base domain and its subdomains, plus every custom domain the tenant registry knows: the
# list is computed per request by the host router (see saas_platform/settings/hosts.py).
ALLOWED_HOSTS = TenantAwareAllowedHosts(
    [BASE_DOMAIN, f".{BASE_DOMAIN}", *env.list("EXTRA_ALLOWED_HOSTS", default=[])]
)

# Links in e-mails sent without a request at hand (the owner's invitation from the CLI or the
# operator API): <SITE_SCHEME>://<slug>.BASE_DOMAIN[:SITE_PORT] (empty port: the scheme's own).
SITE_SCHEME = env.str("SITE_SCHEME", default="https")
SITE_PORT = env.str("SITE_PORT", default="")
# Self-serve sign-up on the public host (tenants/signup/): "Create your workspace".
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
# Each client address may send this many sign-up and "find my workspace" forms per hour.
SIGNUP_RATE_PER_HOUR = env.int("SIGNUP_RATE_PER_HOUR", default=10)

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "shared_apps.accounts",
    "shared_apps.console",
    "shared_apps.audit",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    # Before staticfiles: `runserver` leaves /static/ to WhiteNoise, as in production. Django's
    # own dev handler runs before any middleware and answers a traversal such as
    # /static/..%2f..%2fmanage.py with a 500 (SuspiciousFileOperation); WhiteNoise, a 404.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's session list ("3 minutes ago")
    # Accounts (sign-in, reset, e-mail verification, TOTP, session lists): in public for
    # operators and in every tenant schema for its members, like django.contrib.auth.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",  # ships htmx.min.js as a static file: no CDN, no Node build
]
TENANT_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "shared_apps.accounts",
    # Accounts (sign-in, reset, e-mail verification, TOTP, session lists): in public for
    # operators and in every tenant schema for its members, like django.contrib.auth.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "tenant_apps.core",
    "tenant_apps.inventory",
    "tenant_apps.attendance",
    "tenant_apps.webhooks",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# Migrated alongside every tenant; new tenants are created from it (see docs/provisioning.md).
TENANT_TEMPLATE_SCHEMA = "tenant_template"
# "replay" (copy the migrated template's definition and rows), "clone" (django-tenants'
# clone_schema) or "migrate" (run every migration). Figures: docs/benchmarks.md.
TENANT_SCHEMA_METHOD = env.str("TENANT_SCHEMA_METHOD", default="replay")
# "none" (one PostgreSQL) or "citus": every tenant schema (and the template) is a Citus
# distributed schema, placed on a worker node and movable between nodes (docs/scaling.md).
TENANT_DISTRIBUTION = env.str("TENANT_DISTRIBUTION", default="none")
# Where `manage.py tenant archive` writes a retired tenant's data (tenants/archive/).
TENANT_ARCHIVE_DIR = env.path("TENANT_ARCHIVE_DIR", default=BASE_DIR / ".data" / "archives")
# Issue SET search_path once per tenant switch on a connection, not before every query.
TENANT_LIMIT_SET_CALLS = True
PUBLIC_SCHEMA_URLCONF = "saas_platform.urls_public"
ROOT_URLCONF = "saas_platform.urls_tenant"
# Seconds a web process may serve a cached host -> tenant route before checking Redis for changes.
TENANT_ROUTING_CHECK_SECONDS = env.float("TENANT_ROUTING_CHECK_SECONDS", default=1.0)
# Count each tenant API request for the usage figures (three Redis commands on the rate limiter's
# round trip: tenant_apps/core/usage_counters.py). Off only to measure its cost (bench/usage.py).
USAGE_COUNT_REQUESTS = env.bool("USAGE_COUNT_REQUESTS", default=True)
# ...and at most this often reads a fingerprint of the registry from the database (one small
# query), so that a change whose Redis invalidation was lost (the process died right after its
# commit) still reaches every process.
TENANT_ROUTING_DB_CHECK_SECONDS = env.float("TENANT_ROUTING_DB_CHECK_SECONDS", default=1.0)
# Tenant.last_activity_at is written at most once per this many seconds per process and tenant
# (tenants/activity.py): never a write per request.
TENANT_ACTIVITY_WRITE_SECONDS = env.int("TENANT_ACTIVITY_WRITE_SECONDS", default=300)
# How long the operator API remembers a job id it issued (tenants/jobs.py); Celery keeps
# results for a day by default.
OPERATOR_JOB_TTL_SECONDS = env.int("OPERATOR_JOB_TTL_SECONDS", default=7 * 24 * 3600)
# The sweeper resumes a tenant left in `provisioning` this long after its row was created, if no
# process is still provisioning it (tenants/provisioning.py).
TENANT_PROVISIONING_RESUME_SECONDS = env.int("TENANT_PROVISIONING_RESUME_SECONDS", default=60)

MIDDLEWARE = [
    # /healthz and /readyz on any Host (pod IPs, load-balancer checks); all else is routed.
    "tenants.health.HealthProbeMiddleware",
    # Then request id, one log line and the metrics of every other response (outages and
    # routing refusals included; probes, answered above, would only add noise).
    "tenants.observability.RequestObservabilityMiddleware",
    # Then, around everything else: PostgreSQL or Redis unreachable -> 503 with Retry-After,
    # and a read retried once on a fresh connection (tenants/outages.py).
    "tenants.outages.OutageMiddleware",
    "tenants.middleware.TenantRoutingMiddleware",
    # Any 4xx under /api/ that Django or a non-DRF view answered in HTML (DEBUG's 404 page, a
    # 405), in the API's JSON error format: around everything that can refuse a request.
    "tenants.errors.ApiErrorFormatMiddleware",
    # The tenant is known: log lines and Sentry events carry it.
    "tenants.observability.TenantContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (console, API docs) from the web process itself: after routing (an unknown
    # host gets its 404 for /static/ too) and security headers, before sessions and CSRF, which
    # a static file never needs.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who acts, for the audit logs (read when an entry is written: API users included).
    "tenant_apps.core.actor.ActorMiddleware",
    # An operator's support visit ("view as"): ended on time, kept out of credentials and the
    # danger zone, every request in the workspace's audit log (tenants/impersonation.py).
    "tenants.impersonation_pages.ImpersonationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx for the tenant pages
    "django.contrib.messages.middleware.MessageMiddleware",
    # allauth's login stages (a second factor after the password) and session list.
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    # A workspace that requires two-factor sends members without it to enrolment; operators
    # too when OPERATOR_MFA_REQUIRED (shared_apps/accounts/mfa.py).
    "shared_apps.accounts.mfa.RequireTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # RateLimit / RateLimit-Policy headers from the throttles' counters (API responses only).
    "tenant_apps.core.api.ratelimit_headers.RateLimitHeadersMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenant_apps.core.context_processors.navigation",
                "tenant_apps.core.context_processors.workspace",
                "tenants.impersonation_pages.support_banner",
            ],
        },
    },
]

# Django's form renderer with inputs, selects and textareas written in Python, not templates:
# the same markup at a fraction of the CPU (tenant_apps/core/form_renderer.py).
FORM_RENDERER = "tenant_apps.core.form_renderer.FastWidgetRenderer"

WSGI_APPLICATION = "saas_platform.wsgi.application"

DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/saas")}
DATABASES["default"]["ENGINE"] = "tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A connection that has served more distinct tenant schemas than this is closed at the end of
# the request: a PostgreSQL backend keeps ~0.5 MB of catalog cache per schema it touched
# (tenants/postgresql_backend/base.py). Celery closes its connection after every task anyway.
TENANT_CONNECTION_MAX_SCHEMAS = env.int("TENANT_CONNECTION_MAX_SCHEMAS", default=200)
# Fail fast when PostgreSQL cannot be reached (a 503 within seconds, not a hung worker).
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
# Ready schemas kept for instant provisioning (tenants/fleet/pool.py); 0 disables the pool.
TENANT_POOL_SIZE = env.int("TENANT_POOL_SIZE", default=10)
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every tenant shares one Redis: keys carry the schema so a cached value never crosses.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth (docs/accounts.md). Accounts are per schema: the tables of allauth.account,
# .mfa and .usersessions exist in public (operators) and in every tenant (its members).
ACCOUNT_ADAPTER = "shared_apps.accounts.adapter.AccountAdapter"
MFA_ADAPTER = "shared_apps.accounts.adapter.MFAAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
# Members join by invitation (which proves the address), so signing in does not wait for a
# verification; a changed address is verified before it replaces the old one.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
# Verification keys are random rows of the tenant's own EmailConfirmation table, not HMACs of an
# address id: ids repeat across schemas, so a signed id from tenant A would verify B's address.
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
# Reset tokens also sign the schema name (shared_apps/accounts/tokens.py).
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = (
    "shared_apps.accounts.tokens.TenantPasswordResetTokenGenerator")  # noqa: S105 (a class path)
# How long a password reset link works (seconds); it also stops working once used.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# Failed sign-ins: per client address and per account (the e-mail typed). The counters live in
# the cache, whose keys carry the schema (KEY_FUNCTION above): failures on tenant A never lock
# the same address on tenant B.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="20/m/ip,5/5m/key"),
}
# Proxies in front of the web process whose X-Forwarded-For is trusted for the client address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_RECOVERY_CODE_COUNT = 10
# A code of the previous or next 30-second window is accepted too: a phone's clock drifts, and a
# code typed as the window turns is not refused (RFC 6238 section 5.2). Each code works once.
MFA_TOTP_TOLERANCE = 1
# Operators on the public host must have two-factor (production: on; dev and test: off).
OPERATOR_MFA_REQUIRED = env.bool("OPERATOR_MFA_REQUIRED", default=False)

# E-mail: EMAIL_URL (smtp://user:pass@host:587, smtp+tls://…, smtps://…, consolemail://,
# filemail:///path) or the usual EMAIL_HOST / EMAIL_PORT / … variables.
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
    EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"SaaS platform <noreply@{BASE_DOMAIN}>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# Cookies are host-only (no *_COOKIE_DOMAIN): a cookie set on acme.example.com is never sent to
# globex.example.com, and each tenant's sessions live in its own schema anyway.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_ENGINE = "django.contrib.sessions.backends.db"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` writes (the image bakes it in at build time).
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / ".data" / "static")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenant_apps.core.api.key_authentication.ApiKeyAuthentication",
        "tenant_apps.core.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, with size, depth and NUL limits; an upload endpoint declares its own parsers.
    "DEFAULT_PARSER_CLASSES": ["tenant_apps.core.api.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "tenant_apps.core.api.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "tenant_apps.core.api.filters.BoundedSearchFilter",
        "tenant_apps.core.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "tenant_apps.core.api.throttling.TenantRateThrottle",
        "tenant_apps.core.api.throttling.ApiKeyRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "tenant": env.str("RATE_LIMIT_TENANT", default="6000/min"),
        "api_key": env.str("RATE_LIMIT_API_KEY", default="1200/min"),
    },
    "EXCEPTION_HANDLER": "tenant_apps.core.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
}
# Bodies above this are refused with a 4xx before they are read (uploads: see FILE_UPLOAD_*).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# One upload endpoint takes one file; a form of a thousand files is an attack, refused with 400.
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# CSV imports larger than this are refused (413) rather than queued.
MAX_IMPORT_BYTES = env.int("MAX_IMPORT_BYTES", default=5 * 1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "SaaS platform tenant API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tenant_apps.core.api.schema.add_error_responses",
        "tenant_apps.core.api.schema.add_idempotency_and_rate_limit_headers",
        "tenant_apps.webhooks.schema.add_webhook_event_schemas",
    ],
    # One name for a choice set used by several fields (check-in and check-out source).
    "ENUM_NAME_OVERRIDES": {
        "AttendanceSourceEnum": "tenant_apps.attendance.models.Source",
        "MovementKindEnum": "tenant_apps.inventory.models.MovementKind",
        "InventoryFileKindEnum": [("products", "products"), ("stock", "stock")],
        "WebhookDeliveryStatusEnum": "tenant_apps.webhooks.models.DeliveryStatus",
    },
}



def _celery_redis_url(url: str) -> str:
    # redis-py writes a Unix socket as unix:///path; Celery and kombu spell it redis+socket://.
    if url.startswith("unix://"):
        return "redis+socket://" + url[len("unix://"):].partition("?")[0]
    return url


# Task time limits, and Redis's visibility timeout (redelivery of a dead worker's task) beyond
# the hard limit: saas_platform/celery.py.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT",
                                    default=CELERY_TASK_TIME_LIMIT + 60)
# Jobs never hang (tenant_apps/core/services/jobs.py): a running job's worker heartbeats every
# JOB_HEARTBEAT_SECONDS; the sweeper (every minute) requeues a job silent for JOB_STALE_SECONDS,
# failing it after JOB_MAX_ATTEMPTS runs, and sends queued jobs the broker never got (older
# than JOB_RESEND_SECONDS) or left unclaimed for JOB_LOST_MESSAGE_SECONDS.
JOB_HEARTBEAT_SECONDS = env.float("JOB_HEARTBEAT_SECONDS", default=15.0)
JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=90)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
JOB_RESEND_SECONDS = env.int("JOB_RESEND_SECONDS", default=30)
JOB_LOST_MESSAGE_SECONDS = env.int("JOB_LOST_MESSAGE_SECONDS", default=900)
# Custom domains (tenants/domains.py): verified by a TXT record, looked up with these
# nameservers ("ip" or "ip:port"; empty: the system's resolver).
DOMAIN_VERIFY_NAMESERVERS = env.list("DOMAIN_VERIFY_NAMESERVERS", default=[])
DOMAIN_VERIFY_TIMEOUT_SECONDS = env.float("DOMAIN_VERIFY_TIMEOUT_SECONDS", default=5.0)
# A verified domain whose TXT record disappeared is suspended after this long.
DOMAIN_SUSPEND_GRACE_HOURS = env.int("DOMAIN_SUSPEND_GRACE_HOURS", default=72)
# What a custom domain's CNAME should point at (default: domains.BASE_DOMAIN).
CUSTOM_DOMAIN_CNAME_TARGET = env.str("CUSTOM_DOMAIN_CNAME_TARGET", default="")

# Audit logs (docs/audit.md): entries older than this are purged daily, in public and in every
# tenant; never below the floor the database trigger enforces.
from tenant_apps.core.audit_immutability import AUDIT_MIN_RETENTION_DAYS  # noqa: E402

AUDIT_RETENTION_DAYS = max(env.int("AUDIT_RETENTION_DAYS", default=365), AUDIT_MIN_RETENTION_DAYS)
# Impersonation for support (docs/audit.md): the link's lifetime and the session's at most.
IMPERSONATION_TOKEN_SECONDS = 60
IMPERSONATION_SESSION_SECONDS = 30 * 60

# Outgoing webhooks (tenant_apps/webhooks, docs/webhooks.md).
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=True)
# Host names and networks (CIDR) a webhook may reach although they are not public addresses:
# on-premises receivers, the example receiver in development.
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=15.0)
WEBHOOK_LOG_RETENTION_DAYS = env.int("WEBHOOK_LOG_RETENTION_DAYS", default=30)
# A worker holds a delivery this long per attempt (more than the timeout); a worker killed
# mid-attempt leaves it to be sent again once the lease lapsed.
WEBHOOK_DELIVERY_LEASE_SECONDS = env.int("WEBHOOK_DELIVERY_LEASE_SECONDS", default=60)
# Retries due within this many seconds are queued with a countdown; later ones by the sweeper.
WEBHOOK_DIRECT_RETRY_SECONDS = 300


CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=_celery_redis_url(REDIS_URL))
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_celery_redis_url(REDIS_URL))
# Celery replaces a pool process once it has grown past this many KiB (checked after each task)
# or has run this many tasks: memory a task leaves behind (allocator fragmentation, a library's
# cache) cannot accumulate without bound. The CSV import itself streams (inventory/csv_import.py).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_KB", default=400_000)
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS", default=1_000)

# "plain" (the default: make run, tests) or "json" (production's default): one JSON object a line
# with the request id and tenant (tenants/observability.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "tenants.observability.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # python-json-logger: every record's extra fields (request_id, tenant, status, ...)
        # become keys of the object.
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(tenant)s",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Operators' Prometheus endpoint (/metrics on the public host): the scraper sends
# "Authorization: Bearer METRICS_TOKEN"; staff signed in to the console may look too.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Errors go to Sentry when a DSN is set, tagged with the tenant (tenants/observability.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        # No request bodies, cookies or user e-mails leave the platform.
        send_default_pii=False,
    )
