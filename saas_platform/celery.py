"""The Celery app. Built on tenant-schemas-celery: a task sent while a tenant's schema is active
carries that schema in its headers and runs inside it on the worker."""

import os

from celery.schedules import crontab
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
    task_soft_time_limit=300,
    task_time_limit=360,
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
    # Custom domains: verify new ones, notice removed TXT records (tenants/domains.py).
    schedule["domains-verify"] = {"task": "tenants.domains_verify",
                                  "schedule": crontab(minute="*/5")}
    return schedule


@app.on_after_finalize.connect
def _install_beat_schedule(sender, **_kwargs) -> None:
    # After finalize, Django's apps are loaded (Celery's Django fix-up sets them up first).
    sender.conf.beat_schedule = beat_schedule()
