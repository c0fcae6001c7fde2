"""Starting and running jobs. A Celery task stays thin: it calls ``job_run`` with the job id and
a handler; the handler does the work and reports progress through the callable it is given.

Jobs never hang (docs/architecture.md, "Faults"):

* **The row is the outbox.** ``job_start`` commits the row, then tries to send the task. If the
  broker is unreachable the request still answers 202 at once (short connect timeouts, no result
  backend call) and the job stays ``queued`` without ``sent_at``; ``jobs_sweep`` sends it when
  the broker is back.
* **A delivery claims the job** (``queued`` -> ``running`` in one conditional UPDATE), so two
  deliveries of one job (a re-send, a redelivery after a worker died) never both run it, and a
  finished job is never run again.
* **A running job has a heartbeat** (``heartbeat_at``, touched by progress reports and by the
  worker's heartbeat timer). ``jobs_sweep`` queues a job whose heartbeat stopped (its worker
  vanished) again, or fails it with a clear error after ``JOB_MAX_ATTEMPTS`` runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tenant_apps.core.models import Job, JobStatus
from tenant_apps.core.services.audit import tenant_audit
from tenant_apps.core.services.work_marks import work_mark

# The periodic sweeper's task: its fan-out visits only the tenants marked for it (work_marks).
SWEEP_TASK = "core.sweep_jobs"

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def _setting(name: str, default: float) -> float:
    return getattr(settings, name, default)


@transaction.atomic
def job_start(*, kind: str, task, created_by=None, params: dict | None = None,
              input_text: str = "", audit: str = "") -> Job:
    """Create a queued job and send ``task`` (called with ``job_id=...``) once the row is
    committed, so the worker always finds it. The task runs in the current tenant. A broker
    outage does not fail the caller: the job stays queued and the sweeper sends it later."""
    job = Job.objects.create(kind=kind, created_by=created_by, params=params or {},
                             input_text=input_text, task_name=task.name)
    # Marked before the send: if the broker is down, the sweeper's fan-out visits this tenant.
    work_mark(SWEEP_TASK)
    if audit:  # e.g. an import: the workspace's audit log names it, and who started it
        tenant_audit(audit, target=f"job {job.pk}",
                     detail={"job_id": job.pk, "kind": kind, "params": params or {},
                             "bytes": len(input_text.encode())})
    transaction.on_commit(lambda: job_send(job=job))
    return job


def job_send(*, job: Job) -> bool:
    """Send the job's task to the broker and record when; False (logged) when the broker is
    unreachable. Safe to repeat: a second delivery finds the job claimed or finished."""
    task = current_app.tasks[job.task_name]
    try:
        # No result is stored for a job (the row is its result): ignore_result also skips the
        # result backend's subscription, which retries for ~20 s when Redis is down.
        # tenant-schemas-celery adds the current schema to the message's headers.
        task.apply_async(kwargs={"job_id": job.pk}, ignore_result=True)
    except Exception as exc:  # kombu/redis raise several types for one cause: no broker
        logger.warning("Job %s (%s) not sent, broker unavailable (%s); the sweeper will send it",
                       job.pk, job.kind, exc)
        return False
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(sent_at=now)
    job.sent_at = now
    return True


class JobFailed(Exception):
    """Raised by a handler for an expected failure; its message is shown to the user."""


def job_claim(*, job_id: int) -> Job | None:
    """Mark a queued job running for this delivery; None when another delivery has it or it is
    finished (one conditional UPDATE: two deliveries cannot both win)."""
    now = timezone.now()
    claimed = (Job.objects.filter(pk=job_id, status=JobStatus.QUEUED)
               .update(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now,
                       attempts=F("attempts") + 1))
    if not claimed:
        return None
    return Job.objects.get(pk=job_id)


def job_heartbeat(*, job_id: int) -> bool:
    """The worker running the job is alive (called by its heartbeat timer); False when the job
    is not running."""
    return bool(Job.objects.filter(pk=job_id, status=JobStatus.RUNNING)
                .update(heartbeat_at=timezone.now()))


def job_run(*, job_id: int, handler: Callable[[Job, Progress], dict[str, Any]]) -> Job:
    """Run ``handler(job, progress)`` if this delivery claims the job; a job another delivery
    claimed, or a finished one, is returned as it is (tasks are redelivered after a worker
    crash, and the sweeper may send a job twice). The handler returns the result dict and may
    set output fields."""
    job = job_claim(job_id=job_id)
    if job is None:
        return Job.objects.get(pk=job_id)
    attempt = job.attempts
    mine = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=attempt)

    def progress(done: int, total: int) -> None:
        mine.update(progress_done=done, progress_total=total, heartbeat_at=timezone.now())

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
    # Only while this run still owns the job: if the sweeper gave it up for lost (this worker
    # stalled past the heartbeat limit), the newer run's outcome stands.
    fields = ("status", "result", "error", "finished_at", "progress_done", "progress_total",
              "message", "output_text", "output_name")
    if not mine.update(**{name: getattr(job, name) for name in fields}):
        logger.warning("Job %s (%s): run %s finished after it was given up; result dropped",
                       job.pk, job.kind, attempt)
        job.refresh_from_db()
    return job


def jobs_outstanding() -> bool:
    """Whether any job is queued or running: the sweeper has something to watch here."""
    return Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists()


def jobs_sweep(*, now=None) -> dict[str, int]:
    """Run in one tenant's schema by the periodic sweeper: send the queued jobs that never
    reached the broker, or that sat unclaimed longer than a lost message would; queue again (or
    fail, after ``JOB_MAX_ATTEMPTS`` runs) the running jobs whose worker stopped heartbeating."""
    now = now or timezone.now()
    resend_after = timedelta(seconds=_setting("JOB_RESEND_SECONDS", 30))
    lost_after = timedelta(seconds=_setting("JOB_LOST_MESSAGE_SECONDS", 900))
    stale_after = timedelta(seconds=_setting("JOB_STALE_SECONDS", 90))
    max_attempts = int(_setting("JOB_MAX_ATTEMPTS", 3))
    counts = {"sent": 0, "requeued": 0, "failed": 0}

    stale = list(Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=now - stale_after)
                 .only("pk", "kind", "attempts", "heartbeat_at"))
    for job in stale:
        mine = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)
        if job.attempts >= max_attempts:
            error = (f"The worker running this job stopped responding (last seen "
                     f"{job.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC) on attempt {job.attempts} of "
                     f"{max_attempts}; the job was given up. Start it again.")
            if mine.update(status=JobStatus.FAILED, error=error, finished_at=now):
                counts["failed"] += 1
                logger.warning("Job %s (%s) failed: worker lost %s times", job.pk, job.kind,
                               job.attempts)
        elif mine.update(status=JobStatus.QUEUED, sent_at=None,
                         message=f"Restarted after its worker stopped (attempt {job.attempts})"):
            counts["requeued"] += 1
            logger.warning("Job %s (%s) requeued: its worker stopped heartbeating", job.pk,
                           job.kind)

    # A requeued job's created_at is old, so it is due at once.
    due = (Job.objects.filter(status=JobStatus.QUEUED)
           .filter(Q(sent_at__isnull=True, created_at__lt=now - resend_after)
                   | Q(sent_at__lt=now - lost_after))
           .exclude(task_name="").only("pk", "kind", "task_name"))
    for job in due:
        if job_send(job=job):
            counts["sent"] += 1
        else:
            break  # the broker is still down; the next sweep tries again
    return counts
