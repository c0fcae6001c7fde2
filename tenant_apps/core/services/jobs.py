"""Starting and running jobs. A Celery task stays thin: it calls ``job_run`` with the job id and
a handler; the handler does the work and reports progress through the callable it is given."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from tenant_apps.core.models import Job, JobStatus

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def job_start(*, kind: str, task, created_by=None, params: dict | None = None,
              input_text: str = "") -> Job:
    """Create a queued job and send ``task`` (called as ``task.delay(job_id=...)``) once the
    row is committed, so the worker always finds it. The task runs in the current tenant."""
    job = Job.objects.create(kind=kind, created_by=created_by, params=params or {},
                             input_text=input_text)
    transaction.on_commit(lambda: task.delay(job_id=job.pk))
    return job


class JobFailed(Exception):
    """Raised by a handler for an expected failure; its message is shown to the user."""


def job_run(*, job_id: int, handler: Callable[[Job, Progress], dict[str, Any]]) -> Job:
    """Run ``handler(job, progress)``; a finished job is not run again (tasks are redelivered
    after a worker crash). The handler returns the result dict and may set output fields."""
    job = Job.objects.get(pk=job_id)
    if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return job
    job.status = JobStatus.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at"])

    def progress(done: int, total: int) -> None:
        Job.objects.filter(pk=job.pk).update(progress_done=done, progress_total=total)

    try:
        result = handler(job, progress)
    except JobFailed as exc:
        job.status, job.error = JobStatus.FAILED, str(exc)
    except Exception as exc:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        job.status, job.error = JobStatus.FAILED, f"Internal error: {exc.__class__.__name__}"
    else:
        job.status, job.result = JobStatus.SUCCEEDED, result or {}
    job.finished_at = timezone.now()
    job.refresh_from_db(fields=["progress_done", "progress_total"])
    if job.status == JobStatus.SUCCEEDED and job.progress_total:
        job.progress_done = job.progress_total
    job.save()
    return job
