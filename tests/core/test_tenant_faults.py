"""Tenant states reach the router and the disk stays clean when a process dies: a killed
provisioning run, a killed archive run, a routing invalidation lost after its commit."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from saas_platform.celery import beat_schedule
from tenants import provisioning
from tenants.archive.services import archives_reconcile, tenant_archive
from tenants.locks import run_in_progress
from tenants.models import Tenant
from tenants.routing import HostRouter, host_router
from tenants.services import tenant_delete
from tests.core.fault_services import ROOT, wait_for


class Killed(BaseException):
    """Stands for SIGKILL inside the process: no ``except Exception`` (the rollback) runs."""


@pytest.fixture
def cleanup(committed_db):
    slugs: list[str] = []
    yield slugs
    connection.set_schema_to_public()
    for slug in slugs:
        if Tenant.objects.filter(slug=slug).exists():
            tenant_delete(slug=slug, force=True)


def test_a_killed_provisioning_answers_503_at_once_and_the_sweeper_finishes_it(
        cleanup, client, monkeypatch):
    cleanup.append("halfmade")

    def killed(_ctx):
        raise Killed

    steps = [(name, killed if name == "create_schema" else step)
             for name, step in provisioning.STEPS]
    monkeypatch.setattr(provisioning, "STEPS", steps)
    with pytest.raises(Killed):
        provisioning.tenant_provision(slug="halfmade", name="Half made",
                                      owner_email="owner@halfmade.test",
                                      owner_password="chosen-pass-123")
    monkeypatch.undo()

    # Before: no domain until step 5, so the host was 404 tenant_not_found.
    response = client.get("/api/v1/me", HTTP_HOST="halfmade.localhost")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "tenant_provisioning"
    assert response["Retry-After"]

    # Not yet: a run may still be going; the threshold protects it.
    assert provisioning.provisioning_resume_stuck() == []
    later = timezone.now() + timedelta(seconds=61)
    assert provisioning.provisioning_resume_stuck(now=later) == ["halfmade"]
    tenant = Tenant.objects.get(slug="halfmade")
    assert tenant.state == "active" and tenant.provisioning_request == {}
    from shared_apps.accounts.models import User

    with schema_context(tenant.schema_name):
        # The password the operator chose, though the run that knew it died.
        assert User.objects.get(email="owner@halfmade.test").check_password("chosen-pass-123")
    connection.set_schema_to_public()
    host_router.clear_local()
    assert client.get("/api/v1/me", HTTP_HOST="halfmade.localhost").status_code == 401


def test_the_sweepers_are_scheduled():
    schedule = beat_schedule()
    assert schedule["tenants-sweep"]["task"] == "tenants.sweep"
    assert schedule["sweep-jobs"]["args"] == ("core.sweep_jobs",)


ARCHIVE_SCRIPT = """
import sys, time
import django
django.setup()
from pathlib import Path
from tenants.archive import services

slug, stage = sys.argv[1], sys.argv[2]
if stage == "renamed":
    real_replace = Path.replace
    def replace(self, target):
        moved = real_replace(self, target)
        print("renamed", flush=True)
        time.sleep(300)
        return moved
    Path.replace = replace

def progress(message):
    print(message, flush=True)
    if stage == "verified" and message == "archive verified":
        time.sleep(300)

services.tenant_archive(slug=slug, progress=progress)
"""


def _archive_and_kill(slug: str, stage: str, archive_dir) -> None:
    """``tenant archive`` in a process of its own, SIGKILLed once it reached ``stage``."""
    database = connection.settings_dict["NAME"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "saas_platform.settings.test",
           "DATABASE_URL": os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{database}",
           "TENANT_ARCHIVE_DIR": str(archive_dir)}
    process = subprocess.Popen([sys.executable, "-c", ARCHIVE_SCRIPT, slug, stage], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, text=True)
    try:
        wanted = "renamed" if stage == "renamed" else "archive verified"
        for line in process.stdout:
            if line.strip() == wanted:
                break
        else:
            raise AssertionError(f"the archive process ended before {wanted!r}")
    finally:
        process.kill()
        process.wait(timeout=30)
    # PostgreSQL rolls the dead session's transaction back and frees its locks.
    wait_for(lambda: not run_in_progress(f"archive:{slug}"), timeout=30)


@pytest.mark.parametrize("stage", ["verified", "renamed"])
def test_a_killed_archive_leaves_no_file_a_clear_state_and_a_retry_finishes_it(
        scratch_tenant, settings, tmp_path, stage, client):
    settings.TENANT_ARCHIVE_DIR = tmp_path
    tenant = scratch_tenant()
    (tmp_path / "someone-20200101T000000Z.tar.gz").write_bytes(b"not ours")  # an unknown one

    _archive_and_kill(tenant.slug, stage, tmp_path)

    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == 2  # before the sweep: the dead run's file, .partial or final
    tenant.refresh_from_db()
    assert tenant.state == "suspended" and tenant.archive_file == ""
    assert schema_exists(tenant.schema_name)

    report = archives_reconcile()
    assert report.interrupted == [tenant.slug]
    assert len(report.removed) == 1 and report.removed[0] in left
    assert report.unknown == ["someone-20200101T000000Z.tar.gz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["someone-20200101T000000Z.tar.gz"]

    # The operator sees it: in the operator API and in `tenant list`.
    from shared_apps.accounts.models import User

    operator = User.objects.create_user(email=f"op-{stage}@platform.test", password="x" * 12,
                                        is_staff=True)
    try:
        client.force_login(operator)
        body = client.get(f"/api/operator/v1/tenants/{tenant.slug}",
                          HTTP_HOST="localhost").json()
    finally:
        operator.delete()
    assert body["state"] == "suspended"
    assert "interrupted" in body["archive_error"]
    out = StringIO()
    call_command("tenant", "list", stdout=out)
    line = next(row for row in out.getvalue().splitlines() if row.startswith(tenant.slug + " "))
    assert "interrupted" in line

    info = tenant_archive(slug=tenant.slug)  # the retry finishes it
    tenant.refresh_from_db()
    assert (tenant.state, tenant.archive_error, tenant.archive_file) == ("archived", "",
                                                                         info.path.name)
    assert archives_reconcile().removed == []


def test_an_archived_tenant_is_404_everywhere_even_if_the_invalidation_was_lost(
        scratch_tenant, settings, tmp_path, monkeypatch):
    """The process that archived died between its commit and the Redis increment: every
    other process must still stop serving the tenant within its check interval."""
    settings.TENANT_ARCHIVE_DIR = tmp_path
    tenant = scratch_tenant()
    host = f"{tenant.slug}.localhost"
    other_process = HostRouter(check_seconds=0.05, db_check_seconds=0.1)
    assert other_process.resolve(host).tenant.state == "active"

    monkeypatch.setattr(host_router, "invalidate", lambda: None)  # lost with the process
    tenant_archive(slug=tenant.slug)

    def archived() -> bool:
        return other_process.resolve(host).tenant.state == "archived"

    wait_for(archived, timeout=2, interval=0.02)


def test_a_warm_request_still_runs_no_routing_query_between_database_checks(committed_db):
    from django.test.utils import CaptureQueriesContext

    router = HostRouter(check_seconds=3600, db_check_seconds=3600)
    router.resolve("acme.localhost")  # the first check and the lookup
    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            router.resolve("acme.localhost")
    assert queries.captured_queries == []
