"""Jobs never hang: a broker outage, two deliveries of one job, a killed worker. Against real
services: a private Redis (stopped and started by the test) as the broker, the suite's
PostgreSQL, and Celery workers in a thread or in a process group the test kills."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from saas_platform.celery import app, beat_schedule
from tenant_apps.core.models import Job
from tenant_apps.core.services.jobs import job_run, job_start, jobs_sweep
from tests.conftest import TenantClient
from tests.core.fault_services import (
    PrivateRedis,
    celery_broker,
    kill_group,
    wait_for,
    worker_process,
)
from tests.core.jobtasks import stalling_job


@pytest.fixture
def broker():
    server = PrivateRedis()
    server.start()
    yield server
    server.cleanup()


def _owner_client(tenant) -> TenantClient:
    from shared_apps.accounts.models import User

    with schema_context(tenant.schema_name):
        owner = User.objects.get(email=f"owner@{tenant.slug}.test")
    return TenantClient(tenant.slug).login_as(owner)


def _job(tenant, job_id: int) -> Job:
    with schema_context(tenant.schema_name):
        return Job.objects.get(pk=job_id)


def _sweep(tenant, *, later_by: float = 0) -> dict:
    with schema_context(tenant.schema_name):
        return jobs_sweep(now=timezone.now() + timedelta(seconds=later_by))


def _in_thread_worker(celery_app):
    return start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING",
                        shutdown_timeout=30)


def test_a_job_queued_while_the_broker_is_down_answers_202_and_runs_when_it_is_back(
        scratch_tenant, broker, settings):
    tenant = scratch_tenant()
    client = _owner_client(tenant)
    with celery_broker(broker.url) as celery_app:
        broker.stop()
        started = time.monotonic()
        response = client.post("/api/v1/inventory/exports", {"kind": "products"}, format="json")
        elapsed = time.monotonic() - started
        # Before: ~19 s of reconnects to the result backend, then a 500, the job left queued.
        # A generous bound: the point is "no hang", not a speed.
        assert response.status_code == 202, response.content
        assert elapsed < 10
        job = _job(tenant, response.json()["id"])
        assert (job.status, job.sent_at) == ("queued", None)

        # The broker is still down: the sweeper leaves the job in its outbox for later.
        assert _sweep(tenant, later_by=settings.JOB_RESEND_SECONDS + 1)["sent"] == 0

        broker.start()
        with _in_thread_worker(celery_app):
            assert _sweep(tenant, later_by=settings.JOB_RESEND_SECONDS + 1)["sent"] == 1
            done = wait_for(lambda: (j := _job(tenant, job.pk)).status in ("succeeded", "failed")
                            and j)
    assert done.status == "succeeded", done.error
    assert done.attempts == 1
    assert client.get(f"/api/v1/jobs/{job.pk}/download").status_code == 200


def test_two_deliveries_of_one_job_at_once_run_it_once(scratch_tenant):
    tenant = scratch_tenant()
    with schema_context(tenant.schema_name):
        job = Job.objects.create(kind="test.claim", task_name="tests.stalling_job")
    runs: list[int] = []
    inside, release = threading.Event(), threading.Event()

    def handler(claimed, _progress) -> dict:
        runs.append(claimed.pk)
        inside.set()
        release.wait(30)
        return {}

    def deliver() -> None:
        try:
            with schema_context(tenant.schema_name):
                job_run(job_id=job.pk, handler=handler)
        finally:
            connection.close()

    first = threading.Thread(target=deliver)
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=deliver)  # a re-send or a redelivery, while it runs
    second.start()
    second.join(10)
    second_returned = not second.is_alive()
    release.set()
    first.join(30)
    second.join(30)
    assert second_returned, "the second delivery ran the job instead of leaving it"
    assert runs == [job.pk]
    done = _job(tenant, job.pk)
    assert (done.status, done.attempts) == ("succeeded", 1)


def test_a_job_whose_worker_is_killed_is_requeued_by_the_sweeper_and_finishes(
        scratch_tenant, broker, settings):
    tenant = scratch_tenant()
    with celery_broker(broker.url) as celery_app:
        with schema_context(tenant.schema_name):
            job = job_start(kind="test.stall", task=stalling_job)  # autocommit: sent at once
        assert _job(tenant, job.pk).sent_at is not None
        with worker_process(broker.url, include="tests.core.jobtasks",
                            JOB_HEARTBEAT_SECONDS="0.2") as worker:
            first = wait_for(lambda: (j := _job(tenant, job.pk)).status == "running"
                             and j.progress_done == 1 and j, timeout=90)
            # The handler reports nothing more, but the worker's timer keeps the job alive.
            wait_for(lambda: _job(tenant, job.pk).heartbeat_at > first.heartbeat_at)
            kill_group(worker)  # main process and pool, as an OOM kill would
        stopped = _job(tenant, job.pk)
        time.sleep(1)
        assert _job(tenant, job.pk).heartbeat_at == stopped.heartbeat_at
        assert stopped.status == "running"  # before: stayed so for Kombu's hour

        # Not stale yet: the sweeper leaves a job with a recent heartbeat alone.
        assert _sweep(tenant)["requeued"] == 0
        with _in_thread_worker(celery_app):
            counts = _sweep(tenant, later_by=settings.JOB_STALE_SECONDS + 1)
            assert counts == {"sent": 1, "requeued": 1, "failed": 0}
            done = wait_for(lambda: (j := _job(tenant, job.pk)).status in ("succeeded", "failed")
                            and j)
    assert done.status == "succeeded", done.error
    assert done.result == {"attempt": 2}


def test_a_job_that_lost_its_worker_too_often_fails_and_the_api_says_why(
        client_for, in_tenant, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    client = client_for("acme", role="admin")
    with in_tenant("acme"):
        job = Job.objects.create(kind="inventory.export_products", task_name="inventory.run_export",
                                 status="running", attempts=2, sent_at=timezone.now(),
                                 heartbeat_at=timezone.now() - timedelta(minutes=10))
        assert jobs_sweep() == {"sent": 0, "requeued": 0, "failed": 1}
    body = client.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "failed"
    assert "stopped responding" in body["error"] and "attempt 2 of 2" in body["error"]


def test_redelivery_and_time_limits_are_consistent_and_the_sweeper_is_scheduled():
    options = app.conf.broker_transport_options
    # Kombu's default visibility timeout is one hour; a task still running must never be
    # handed to a second worker, so it exceeds the hard time limit.
    assert options["visibility_timeout"] > app.conf.task_time_limit > app.conf.task_soft_time_limit
    assert options["visibility_timeout"] < 3600
    entry = beat_schedule()["sweep-jobs"]
    assert entry["args"] == ("core.sweep_jobs",)
