"""The every-minute sweepers (jobs, webhook deliveries) visit only the tenants that have work
for them (plus an hourly full pass), not every tenant every minute: at 10,000 tenants that was
10,000 tasks a minute each."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from tenant_apps.core.models import Job, JobStatus
from tenant_apps.core.services.jobs import SWEEP_TASK, job_start
from tenant_apps.core.services.work_marks import work_look_time, work_mark, work_unmark
from tenant_apps.core.tasks import sweep_jobs
from tenant_apps.webhooks.listener import DISPATCH_TASK
from tenant_apps.webhooks.models import Delivery
from tenant_apps.webhooks.services import endpoint_create, endpoint_send_test
from tenant_apps.webhooks.tasks import dispatch_due
from tenants.tasks import fan_out_targets
from tests.core.jobtasks import stalling_job


@pytest.fixture
def marks():
    """A clean slate, with this hour's full pass already done (so only marks count)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [f"fleet:{kind}:{task}" for task in (SWEEP_TASK, DISPATCH_TASK)
            for kind in ("work", "full-pass")]
    client.delete(*keys)
    for task in (SWEEP_TASK, DISPATCH_TASK):
        client.set(f"fleet:full-pass:{task}", "1", ex=3600)
    yield client
    client.delete(*keys)


def test_the_sweeper_goes_only_to_tenants_with_jobs_until_they_are_done(
        marks, tenants, in_tenant, django_capture_on_commit_callbacks):
    assert fan_out_targets(SWEEP_TASK) == []  # nobody has a job: no task at all

    with in_tenant("acme"), django_capture_on_commit_callbacks(execute=True):
        job = job_start(kind="test.stall", task=stalling_job)
    assert fan_out_targets(SWEEP_TASK) == [tenants["acme"].schema_name]

    with in_tenant("acme"):
        assert sweep_jobs.run()["idle"] is False  # queued: still watched
        Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
        assert sweep_jobs.run()["idle"] is True
    assert fan_out_targets(SWEEP_TASK) == []

    # Other periodic jobs still go to every active tenant.
    everyone = fan_out_targets("core.clear_expired_sessions")
    assert set(everyone) >= {t.schema_name for t in tenants.values()}


def test_a_mark_made_while_the_sweeper_looked_is_kept(marks, tenants, in_tenant,
                                                      django_capture_on_commit_callbacks):
    schema = tenants["acme"].schema_name
    looked_at = work_look_time()
    with in_tenant("acme"), django_capture_on_commit_callbacks(execute=True):
        work_mark(SWEEP_TASK)  # a job started after the sweeper found none
    assert work_unmark(SWEEP_TASK, looked_at=looked_at, schema_name=schema) is False
    assert fan_out_targets(SWEEP_TASK) == [schema]
    assert work_unmark(SWEEP_TASK, looked_at=work_look_time(), schema_name=schema) is True


def test_a_lost_mark_is_caught_by_the_full_pass(marks, tenants, in_tenant):
    with in_tenant("globex"):
        Job.objects.create(kind="test.stall", task_name=stalling_job.name)  # never marked
    assert tenants["globex"].schema_name not in fan_out_targets(SWEEP_TASK)
    marks.delete(f"fleet:full-pass:{SWEEP_TASK}")  # the hour is over, or Redis was flushed
    full = fan_out_targets(SWEEP_TASK)
    assert {t.schema_name for t in tenants.values()} <= set(full)
    assert tenants["globex"].schema_name not in fan_out_targets(SWEEP_TASK)  # once an hour


def test_the_webhook_dispatcher_goes_only_to_tenants_with_pending_deliveries(
        marks, tenants, in_tenant, django_capture_on_commit_callbacks):
    assert fan_out_targets(DISPATCH_TASK) == []
    with in_tenant("initech"), django_capture_on_commit_callbacks(execute=True):
        endpoint = endpoint_create(url="https://hooks.example.com/in", events=["product.created"])
        delivery = endpoint_send_test(endpoint=endpoint)
    assert fan_out_targets(DISPATCH_TASK) == [tenants["initech"].schema_name]
    with in_tenant("initech"):
        assert dispatch_due.run()["idle"] is False  # pending (due or waiting for a retry)
        Delivery.objects.filter(pk=delivery.pk).update(status="succeeded")
        assert dispatch_due.run()["idle"] is True
    assert fan_out_targets(DISPATCH_TASK) == []
