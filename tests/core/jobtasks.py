"""A job task for the fault tests, importable by a worker process (``--include``): its first
run reports progress and then stalls (the test kills its worker there); later runs finish."""

import time

from celery import shared_task

from tenant_apps.core.services.jobs import job_run


def _stall_on_first_run(job, progress) -> dict:
    progress(1, 2)
    if job.attempts == 1:
        time.sleep(300)
    progress(2, 2)
    return {"attempt": job.attempts}


@shared_task(name="tests.stalling_job", acks_late=True)
def stalling_job(*, job_id: int) -> str:
    return job_run(job_id=job_id, handler=_stall_on_first_run).status
