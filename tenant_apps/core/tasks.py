"""Periodic jobs of the core, declared in its contract: each runs once per active tenant, in that
tenant's schema (the fan-out is tenants.fan_out)."""

import datetime as dt

from celery import shared_task
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection
from django.utils import timezone

from tenant_apps.core.services.jobs import SWEEP_TASK, jobs_outstanding, jobs_sweep
from tenant_apps.core.services.work_marks import work_look_time, work_unmark


@shared_task(name="core.clear_expired_sessions", acks_late=True,
             autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=5)
def clear_expired_sessions() -> dict:
    """Sessions live in each schema (public's operators, each tenant's members)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"schema": connection.schema_name, "deleted": deleted}


@shared_task(name=SWEEP_TASK, acks_late=True, ignore_result=True)
def sweep_jobs() -> dict:
    """Every minute in each tenant marked as having jobs (``job_start`` marks it; an hourly
    full pass visits all): jobs that never reached the broker are sent, jobs whose worker
    vanished are queued again or failed (``jobs_sweep``). With no job left queued or running,
    the tenant's mark is cleared and the fan-out stops visiting it."""
    looked_at = work_look_time()
    counts = jobs_sweep()
    idle = not jobs_outstanding()
    if idle and looked_at:
        work_unmark(SWEEP_TASK, looked_at=looked_at)
    return {"schema": connection.schema_name, "idle": idle, **counts}


@shared_task(name="core.purge_idempotency_records", acks_late=True,
             autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=5)
def purge_idempotency_records() -> dict:
    """Idempotency keys are honoured for RETENTION_HOURS (docs/api.md); then they go."""
    from tenant_apps.core.api.idempotency import RETENTION_HOURS
    from tenant_apps.core.models import IdempotencyRecord

    cutoff = timezone.now() - dt.timedelta(hours=RETENTION_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return {"schema": connection.schema_name, "deleted": deleted}


@shared_task(name="core.audit_purge", acks_late=True,
             autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=5)
def audit_purge() -> dict:
    """The workspace's audit entries older than AUDIT_RETENTION_DAYS go (one indexed DELETE;
    nothing when none is that old), and the purge is logged (docs/audit.md)."""
    from tenant_apps.core.services.audit import tenant_audit_purge

    return {"schema": connection.schema_name, "deleted": tenant_audit_purge()}
