"""The monthly CSV export: POST starts a job, a Celery task fills it, the jobs API serves it."""

from __future__ import annotations

import csv
import io
import time as clock
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from celery.contrib.testing.worker import start_worker
from django_tenants.utils import schema_context

from saas_platform.celery import app
from tenant_apps.attendance import exports
from tenant_apps.attendance.tasks import export_timesheets
from tenant_apps.core.models import Job, JobStatus
from tests.attendance.factories import (
    AttendanceRecordFactory,
    EmployeeFactory,
    ShiftAssignmentFactory,
    ShiftFactory,
    SiteFactory,
)
from tests.conftest import TenantClient

EXPORTS = "/api/v1/attendance/exports"
BERLIN = ZoneInfo("Europe/Berlin")


def seed_march() -> None:
    """Two employees on a Mon-Fri 09:00-17:00 Berlin shift; one came 20 minutes late on
    Monday 2 March and worked a lunch break, the other never came."""
    site = SiteFactory(name="=HYPERLINK(\"evil\")", time_zone="Europe/Berlin")
    shift = ShiftFactory(start_time=time(9), end_time=time(17), weekdays=[1, 2, 3, 4, 5])
    anna = EmployeeFactory(code="A1", name="Anna", default_site=site)
    ben = EmployeeFactory(code="B2", name="Ben", default_site=site)
    for employee in (anna, ben):
        ShiftAssignmentFactory(employee=employee, shift=shift, site=site,
                               valid_from="2026-03-01")
    AttendanceRecordFactory(employee=anna, check_in_at=datetime(2026, 3, 2, 9, 20, tzinfo=BERLIN),
                            check_out_at=datetime(2026, 3, 2, 12, 0, tzinfo=BERLIN))
    AttendanceRecordFactory(employee=anna, check_in_at=datetime(2026, 3, 2, 12, 30, tzinfo=BERLIN),
                            check_out_at=datetime(2026, 3, 2, 17, 0, tzinfo=BERLIN))


def parse(text: str) -> dict[tuple[str, str], dict]:
    return {(row["employee_code"], row["date"]): row for row in csv.DictReader(io.StringIO(text))}


def assert_march_csv(text: str) -> None:
    rows = parse(text)
    assert len(rows) == 2 * 31
    anna = rows[("A1", "2026-03-02")]
    assert anna["status"] == "present"
    assert (anna["first_check_in"], anna["last_check_out"]) == ("2026-03-02 09:20",
                                                                "2026-03-02 17:00")
    assert anna["scheduled_start"] == "2026-03-02 09:00"
    assert (anna["late_minutes"], anna["worked_hours"]) == ("20", "7.17")
    assert anna["site"].startswith("'="), "formula cells are neutralised"
    assert rows[("B2", "2026-03-02")]["status"] == "absent"
    assert rows[("B2", "2026-03-01")]["status"] == "off"  # a Sunday
    # After the switch to summer time the shift still starts at 09:00 local.
    assert rows[("A1", "2026-03-30")]["scheduled_start"] == "2026-03-30 09:00"


def test_admin_starts_an_export_and_downloads_the_csv(client_for, in_tenant):
    admin = client_for("acme", role="admin")
    with in_tenant("acme"):
        seed_march()

    response = admin.post(EXPORTS, {"month": "2026-03"}, format="json")

    assert response.status_code == 202, response.content
    job = response.json()
    assert job["kind"] == "attendance.timesheet_export" and job["status"] == "queued"
    assert response["Location"] == f"/api/v1/jobs/{job['id']}"
    # The test's transaction never commits, so run the task here as the worker would.
    with in_tenant("acme"):
        export_timesheets.apply(kwargs={"job_id": job["id"]})
    job = admin.get(f"/api/v1/jobs/{job['id']}").json()
    assert job["status"] == "succeeded" and job["percent"] == 100
    assert job["result"] == {"month": "2026-03", "employees": 2, "rows": 62}
    assert job["progress_total"] == 2 and job["has_output"] is True

    download = admin.get(f"/api/v1/jobs/{job['id']}/download")

    assert download.status_code == 200
    assert 'filename="attendance-2026-03.csv"' in download["Content-Disposition"]
    assert_march_csv(download.content.decode())


def test_export_reports_progress_per_batch(db, in_tenant, monkeypatch):
    monkeypatch.setattr(exports, "BATCH_SIZE", 1)
    calls: list[tuple[int, int]] = []
    with in_tenant("acme"):
        seed_march()
        EmployeeFactory(active=False)  # no records: not exported
        job = Job.objects.create(kind=exports.EXPORT_KIND, params={"month": "2026-03"})
        exports.timesheet_export_run(job, lambda done, total: calls.append((done, total)))
    assert calls == [(0, 2), (1, 2), (2, 2)]


def test_export_job_with_a_bad_month_fails_with_a_message(db, in_tenant):
    with in_tenant("acme"):
        job = Job.objects.create(kind=exports.EXPORT_KIND, params={"month": "2026-13"})
        export_timesheets.apply(kwargs={"job_id": job.pk})
    with in_tenant("acme"):  # the task put the connection back in public
        job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "2026-13" in job.error


@pytest.mark.parametrize("body", [{"month": "2026-13"}, {"month": "March"}, {},
                                  {"month": "1999-12"}, {"month": "2026-03", "site": 1},
                                  {"month": 202603}])
def test_export_input_is_validated(client_for, in_tenant, body):
    admin = client_for("acme", role="admin")
    response = admin.post(EXPORTS, body, format="json")
    assert response.status_code == 400, response.content
    with in_tenant("acme"):
        assert not Job.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_only_admins_export(client_for, role):
    response = client_for("acme", role=role).post(EXPORTS, {"month": "2026-03"}, format="json")
    assert response.status_code == 403


@pytest.fixture
def worker(committed_db):
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=30):
        yield


def test_export_runs_on_a_real_worker(worker, scratch_tenant):
    from shared_apps.accounts.models import User

    tenant = scratch_tenant()
    with schema_context(tenant.schema_name):
        seed_march()
        admin_user = User.objects.create_user(email="admin@scratch.test", password="x",
                                              role="admin")
    client = TenantClient(tenant.slug).login_as(admin_user)

    response = client.post(EXPORTS, {"month": "2026-03"}, format="json")
    assert response.status_code == 202, response.content
    job_url = f"/api/v1/jobs/{response.json()['id']}"
    deadline = clock.monotonic() + 30
    while (job := client.get(job_url).json())["status"] in ("queued", "running"):
        assert clock.monotonic() < deadline, job
        clock.sleep(0.1)

    assert job["status"] == "succeeded", job
    assert_march_csv(client.get(f"{job_url}/download").content.decode())
