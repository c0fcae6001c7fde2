"""The Celery app. Built on tenant-schemas-celery: a task sent while a tenant's schema is active
carries that schema in its headers and runs inside it on the worker."""

import os

from celery.schedules import crontab
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.dev")

app = CeleryApp("saas_platform", task_cls="saas_platform.tasks_base:PlatformTask")
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
    beat_schedule={
        "clear-expired-sessions": {
            "task": "accounts.fan_out_clear_expired_sessions",
            "schedule": crontab(minute=17, hour=3),
        },
        "inventory-low-stock-check": {
            "task": "inventory.fan_out_check_low_stock",
            "schedule": crontab(minute=30, hour=5),
        },
    },
)
app.autodiscover_tasks()
