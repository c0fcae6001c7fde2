"""The base class of every task: tenant-schemas-celery's, made strict.

tenant-schemas-celery switches schema in a ``task_prerun`` signal. Celery logs and swallows
exceptions raised by signal receivers, so when the tenant of a task no longer exists the stock
task would run in whatever schema the worker was in (``public``). Here the task checks, before its
body runs, that the connection really is in the schema the task was sent from, and fails loudly
otherwise. After every task the worker is put back in ``public``.

A task run for a tenant's job (called with ``job_id``, as ``job_start`` sends it) gets a
heartbeat: a thread of the worker touches the job's ``heartbeat_at`` every
``JOB_HEARTBEAT_SECONDS`` while the task runs, on its own connection in the tenant's schema, so
a long step that reports no progress still shows its worker alive, and a killed worker's job is
found by the sweeper (``tenant_apps.core.services.jobs.jobs_sweep``).
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

from celery.signals import task_postrun
from django.conf import settings
from django.db import DatabaseError, connection
from django_tenants.utils import schema_context
from tenant_schemas_celery.app import get_schema_name_from_task
from tenant_schemas_celery.task import TenantTask

PUBLIC = "public"
logger = logging.getLogger(__name__)


class TenantUnavailable(RuntimeError):
    """The task's tenant was deleted or archived after the task was sent."""


class PlatformTask(TenantTask):
    abstract = True

    @classmethod
    def get_tenant_for_schema(cls, schema_name: str):
        from tenants.models import TenantState

        tenant = super().get_tenant_for_schema(schema_name)
        if tenant.state == TenantState.ARCHIVED:
            raise TenantUnavailable(f"Tenant schema {schema_name!r} is archived")
        return tenant

    def __call__(self, *args, **kwargs):
        expected = get_schema_name_from_task(self, kwargs) or PUBLIC
        if connection.schema_name != expected:
            raise TenantUnavailable(
                f"Task {self.name} was sent for tenant schema {expected!r}, which no longer "
                f"exists or is archived; refusing to run it in {connection.schema_name!r}."
            )
        job_id = kwargs.get("job_id")
        if job_id is None or expected == PUBLIC:
            return super().__call__(*args, **kwargs)
        with job_heartbeat(schema_name=expected, job_id=job_id):
            return super().__call__(*args, **kwargs)


@contextmanager
def job_heartbeat(*, schema_name: str, job_id: int):
    """Touch the job's heartbeat every ``JOB_HEARTBEAT_SECONDS`` from a thread while the block
    runs (the task's own connection may be inside a long transaction, whose writes nobody
    sees until it commits)."""
    from tenant_apps.core.services.jobs import job_heartbeat as touch

    stop = threading.Event()
    interval = settings.JOB_HEARTBEAT_SECONDS

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    with schema_context(schema_name):
                        touch(job_id=job_id)
                except DatabaseError:
                    logger.warning("Heartbeat of job %s in %s failed", job_id, schema_name,
                                   exc_info=True)
                    connection.close()
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"job-heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


@task_postrun.connect(dispatch_uid="saas_platform_back_to_public")
def back_to_public(**_kwargs) -> None:
    if connection.schema_name != PUBLIC:
        connection.set_schema_to_public()
