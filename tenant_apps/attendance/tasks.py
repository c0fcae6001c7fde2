"""Celery tasks of the attendance app: thin wrappers around job handlers."""

from celery import shared_task
from django.db import OperationalError

from tenant_apps.attendance.exports import timesheet_export_run
from tenant_apps.core.services.jobs import job_run


@shared_task(name="attendance.export_timesheets", acks_late=True,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def export_timesheets(job_id: int) -> None:
    # job_run skips a job that already finished, so a redelivered task does no work twice.
    job_run(job_id=job_id, handler=timesheet_export_run)
