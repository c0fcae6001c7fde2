"""Celery tasks of the inventory: thin, ids in, a service inside. Sent from a tenant request (or
with the ``_schema_name`` header), they run in that tenant's schema (tenant-schemas-celery)."""

from celery import shared_task
from django.db import OperationalError, connection

from tenant_apps.core.events import event_emit
from tenant_apps.core.services.jobs import job_run
from tenant_apps.inventory.csv_export import csv_export_run
from tenant_apps.inventory.csv_import import csv_import_run
from tenant_apps.inventory.events import import_event
from tenant_apps.inventory.services import low_stock_check


# job_run records any failure on the job itself, and does not run a finished job twice: a
# redelivered task (acks_late) is harmless, and an import is one transaction, all or nothing.
@shared_task(name="inventory.run_import", acks_late=True)
def run_import(*, job_id: int) -> str:
    job = job_run(job_id=job_id, handler=csv_import_run)
    event_emit("import.finished", import_event(job))
    return job.status


@shared_task(name="inventory.run_export", acks_late=True)
def run_export(*, job_id: int) -> str:
    return job_run(job_id=job_id, handler=csv_export_run).status


@shared_task(name="inventory.check_low_stock", acks_late=True,
             autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=5)
def check_low_stock() -> dict:
    return {"schema": connection.schema_name, **low_stock_check()}
