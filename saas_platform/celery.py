"""The Celery app. Built on tenant-schemas-celery: a task sent while a tenant's schema is active
carries that schema in its headers and runs inside it on the worker."""

import os

from celery.schedules import crontab
from django.conf import settings
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.dev")
# `celery -A saas_platform worker` started by hand (in the project's folder) finds the embedded
# servers of `make run`, as manage.py does; an installation without manage.py has its env set.
try:
    from manage import use_embedded_services
except ImportError:
    pass
else:
    use_embedded_services()

app = CeleryApp("saas_platform", task_cls="tenants.tasks_base:PlatformTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # A task is acknowledged after it ran: a worker killed mid-task leaves it to be redelivered,
    # so every task must be idempotent.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    task_time_limit=settings.CELERY_TASK_TIME_LIMIT,
    # Redis hands an unacknowledged message (its worker died) to another worker after the
    # visibility timeout: longer than the hard time limit, so that a task still running is never
    # delivered twice, and set (Kombu's default is one hour). Jobs do not wait for it: their
    # heartbeat lets the sweeper requeue them sooner (tenant_apps.core.services.jobs).
    broker_transport_options={"visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT,
                              "socket_connect_timeout": 2},
    # Fail fast when the broker is down: a request that queues a job answers at once and the
    # job's row is its outbox (sent later by the sweeper), instead of waiting on reconnects.
    broker_connection_timeout=2,
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                               "interval_max": 0.5},
    redis_socket_connect_timeout=2,
    task_track_started=True,
    result_expires=7 * 24 * 3600,
    broker_connection_retry_on_startup=True,
    # Look the tenant up for every task (one indexed query): a cached tenant could let a task run
    # against a schema that was dropped seconds ago.
    task_tenant_cache_seconds=0,
)
app.autodiscover_tasks()


def beat_schedule() -> dict:
    """The beat table: every periodic job of the tenant apps' contracts, fanned out to each active
    tenant, plus public's own session clean-up (operators' sessions live there)."""
    from tenant_apps.core.contract import periodic_jobs

    schedule = {
        job.name: {"task": "tenants.fan_out", "args": (job.task,),
                   "schedule": crontab(**job.schedule)}
        for job in periodic_jobs()
    }
    schedule["clear-expired-sessions-public"] = {
        "task": "core.clear_expired_sessions", "schedule": crontab(minute=47, hour=3)}
    # Resumes killed provisioning runs, cleans up after killed archive runs (tenants/tasks.py).
    schedule["tenants-sweep"] = {"task": "tenants.sweep", "schedule": crontab(minute="*")}
    # Keeps TENANT_POOL_SIZE ready schemas for instant provisioning (tenants/fleet/pool.py).
    schedule["tenants-pool-refill"] = {"task": "tenants.pool_refill",
                                       "schedule": crontab(minute="*")}
    # Custom domains: verify new ones, notice removed TXT records (tenants/domains.py).
    schedule["domains-verify"] = {"task": "tenants.domains_verify",
                                  "schedule": crontab(minute="*/5")}
    # The platform audit log's retention (each tenant's: core's "audit-purge" job above).
    schedule["platform-audit-purge"] = {"task": "platform_audit.purge",
                                        "schedule": crontab(minute=11, hour=4)}
    # Per-tenant usage figures, one row per tenant per day (tenants/plans/collect.py).
    schedule["tenants-usage-collect"] = {"task": "tenants.usage_collect",
                                         "schedule": crontab(minute=7)}
    return schedule


@app.on_after_finalize.connect
def _install_beat_schedule(sender, **_kwargs) -> None:
    # After finalize, Django's apps are loaded (Celery's Django fix-up sets them up first).
    sender.conf.beat_schedule = beat_schedule()
