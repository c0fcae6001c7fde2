"""Celery through tenant-schemas-celery, against a real worker and the real Redis broker."""

import threading
from datetime import timedelta

import pytest
from celery.signals import task_postrun
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from saas_platform.celery import app
from tenant_apps.core.tasks import clear_expired_sessions
from tenants.services import tenant_delete
from tenants.tasks import fan_out


@pytest.fixture
def worker(celery_worker):
    return celery_worker


def _expired_session(key: str) -> None:
    Session.objects.create(session_key=key, session_data="x",
                           expire_date=timezone.now() - timedelta(days=1))


def test_task_sent_inside_a_tenant_runs_inside_it(worker, scratch_tenant):
    tenant = scratch_tenant()
    with schema_context(tenant.schema_name):
        _expired_session("expired-in-scratch")
        result = clear_expired_sessions.delay()
    assert result.get(timeout=30) == {"schema": tenant.schema_name, "deleted": 1}


def test_task_for_a_deleted_tenant_fails_loudly_instead_of_running_in_public(worker,
                                                                             scratch_tenant):
    tenant = scratch_tenant()
    connection.set_schema_to_public()
    _expired_session("public-session-must-survive")
    try:
        tenant_delete(slug=tenant.slug, force=True)
        result = clear_expired_sessions.apply_async(
            headers={"_schema_name": tenant.schema_name})
        with pytest.raises(Exception) as excinfo:
            result.get(timeout=30)
        assert type(excinfo.value).__name__ == "TenantUnavailable"
        assert tenant.schema_name in str(excinfo.value)
        assert Session.objects.filter(session_key="public-session-must-survive").exists()
    finally:
        Session.objects.filter(session_key="public-session-must-survive").delete()


def test_worker_is_back_in_public_after_every_task(worker, scratch_tenant):
    tenant = scratch_tenant()
    seen: list[str] = []
    recorded = threading.Condition()

    def record(**_kwargs):
        with recorded:
            seen.append(connection.schema_name)
            recorded.notify_all()

    # Connected after the platform's own handler, so it observes the state that handler left.
    # Celery stores a task's result before it sends task_postrun, so `.get()` can return while
    # the worker is still inside the handlers: wait for each task's postrun explicitly.
    task_postrun.connect(record, weak=False)
    try:
        with schema_context(tenant.schema_name):
            clear_expired_sessions.delay().get(timeout=30)
        with recorded:
            assert recorded.wait_for(lambda: len(seen) == 1, timeout=30)
        assert clear_expired_sessions.delay().get(timeout=30)["schema"] == "public"
        with recorded:
            assert recorded.wait_for(lambda: len(seen) == 2, timeout=30)
    finally:
        task_postrun.disconnect(record)
    assert seen == ["public", "public"]


def test_periodic_job_fans_out_one_task_per_active_tenant(worker, scratch_tenant):
    active, suspended = scratch_tenant(), scratch_tenant()
    from tenants.services import tenant_suspend

    tenant_suspend(slug=suspended.slug)
    for tenant in (active, suspended):
        with schema_context(tenant.schema_name):
            _expired_session(f"old-{tenant.slug}")
    count = fan_out.delay("core.clear_expired_sessions").get(timeout=30)
    from tenants.models import Tenant

    assert count == Tenant.objects.filter(state="active").count()
    # The fanned-out tasks run after the fan-out returns; wait for the active tenant's.
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with schema_context(active.schema_name):
            if not Session.objects.filter(session_key=f"old-{active.slug}").exists():
                break
        time.sleep(0.1)
    with schema_context(active.schema_name):
        assert not Session.objects.filter(session_key=f"old-{active.slug}").exists()
    with schema_context(suspended.schema_name):
        assert Session.objects.filter(session_key=f"old-{suspended.slug}").exists()


def test_celery_is_configured_for_safe_redelivery():
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit


def test_provisioning_job_reports_progress_and_creates_the_tenant(worker, committed_db):
    from tenants.models import Tenant
    from tenants.tasks import provision_tenant

    try:
        result = provision_tenant.delay(slug="via-celery", name="Via Celery",
                                        owner_email="o@celery.example")
        outcome = result.get(timeout=60)
        assert (outcome["slug"], outcome["state"]) == ("via-celery", "active")
        assert outcome["owner_invitation_url"].startswith(
            "http://via-celery.localhost/invitations/")
        assert "password" not in outcome
        assert Tenant.objects.get(slug="via-celery").state == "active"
    finally:
        if Tenant.objects.filter(slug="via-celery").exists():
            tenant_delete(slug="via-celery", force=True)
