"""The base class of every task: tenant-schemas-celery's, made strict.

tenant-schemas-celery switches schema in a ``task_prerun`` signal. Celery logs and swallows
exceptions raised by signal receivers, so when the tenant of a task no longer exists the stock
task would run in whatever schema the worker was in (``public``). Here the task checks, before its
body runs, that the connection really is in the schema the task was sent from, and fails loudly
otherwise. After every task the worker is put back in ``public``.
"""

from __future__ import annotations

from celery.signals import task_postrun
from django.db import connection
from tenant_schemas_celery.app import get_schema_name_from_task
from tenant_schemas_celery.task import TenantTask

PUBLIC = "public"


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
        return super().__call__(*args, **kwargs)


@task_postrun.connect(dispatch_uid="saas_platform_back_to_public")
def back_to_public(**_kwargs) -> None:
    if connection.schema_name != PUBLIC:
        connection.set_schema_to_public()
