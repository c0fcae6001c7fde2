from django.apps import AppConfig

from tenant_apps.core.contract import PeriodicJob, TenantAppContract


class CoreConfig(AppConfig):
    """The platform's own per-tenant pieces: roles, API keys, idempotency records, jobs and the
    API foundation that every feature app builds on. Its routes sit at the root of /api/v1/."""

    name = "tenant_apps.core"
    label = "core"
    verbose_name = "Platform core"
    contract = TenantAppContract(
        prefix="",
        api_urls="tenant_apps.core.api.urls",
        demo_seeder="tenant_apps.core.demo.seed",
        periodic_jobs=(PeriodicJob("clear-expired-sessions", "core.clear_expired_sessions",
                                   {"minute": 17, "hour": 3}),
                       # The jobs' outbox and watchdog (tenant_apps.core.services.jobs).
                       PeriodicJob("sweep-jobs", "core.sweep_jobs", {"minute": "*"},
                                   marked_only=True),
                       PeriodicJob("purge-idempotency-records",
                                   "core.purge_idempotency_records", {"minute": 23}),
                       # Audit entries past AUDIT_RETENTION_DAYS (docs/audit.md).
                       PeriodicJob("audit-purge", "core.audit_purge", {"minute": 41, "hour": 4})),
        usage_counters={"members": "accounts.User", "api_keys": "core.ApiKey",
                        "jobs": "core.Job"},
    )
