"""Concurrent writes for one employee, on separate connections with committed data: exactly
one wins, the others get the same error a sequential request would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from tenant_apps.attendance import services
from tenant_apps.attendance.models import AttendanceRecord, ShiftAssignment, Source
from tenant_apps.core.errors import PlatformError
from tests.attendance.factories import AttendanceRecordFactory, EmployeeFactory, ShiftFactory

RACERS = 6


def race(schema: str, attempt: Callable[[], object]) -> list[str]:
    """Run ``attempt`` in RACERS threads released at once; each outcome is "ok" or the code
    of the PlatformError it raised."""
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            with schema_context(schema):
                barrier.wait()
                attempt()
            outcome = "ok"
        except PlatformError as exc:
            outcome = exc.code
        except Exception as exc:  # recorded, so the assertion shows it
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.fixture
def schema(scratch_tenant) -> str:
    return scratch_tenant().schema_name


def test_concurrent_check_ins_open_exactly_one_record(schema):
    with schema_context(schema):
        employee = EmployeeFactory()

    outcomes = race(schema, lambda: services.attendance_check_in(
        employee_id=employee.pk, source=Source.KIOSK))

    assert outcomes == ["already_checked_in"] * (RACERS - 1) + ["ok"]
    with schema_context(schema):
        assert AttendanceRecord.objects.filter(employee=employee).count() == 1


def test_concurrent_check_outs_close_once(schema):
    with schema_context(schema):
        employee = EmployeeFactory()
        record = AttendanceRecordFactory(employee=employee, check_out_at=None)

    outcomes = race(schema, lambda: services.attendance_check_out(
        employee_id=employee.pk, source=Source.KIOSK))

    assert outcomes == ["not_checked_in"] * (RACERS - 1) + ["ok"]
    with schema_context(schema):
        record.refresh_from_db()
        assert record.check_out_at is not None


def test_concurrent_overlapping_assignments_are_created_once(schema):
    with schema_context(schema):
        employee = EmployeeFactory()
        shift = ShiftFactory()

    outcomes = race(schema, lambda: services.shift_assignment_create(
        employee=employee, shift=shift, site=employee.default_site,
        valid_from=date(2026, 1, 1)))

    assert outcomes == ["assignment_overlaps"] * (RACERS - 1) + ["ok"]
    with schema_context(schema):
        assert ShiftAssignment.objects.filter(employee=employee).count() == 1


def test_database_refuses_a_second_open_record_even_without_the_service(db, in_tenant):
    with in_tenant("acme"):
        first = AttendanceRecordFactory(check_out_at=None)
        with pytest.raises(IntegrityError), transaction.atomic():
            AttendanceRecordFactory(employee=first.employee, site=first.site, check_out_at=None)
        # A closed record next to the open one is fine.
        AttendanceRecordFactory(employee=first.employee, site=first.site,
                                check_in_at=datetime(2026, 1, 1, 8, tzinfo=UTC))


def test_concurrent_retries_of_one_idempotent_check_in_all_get_the_first_answer(scratch_tenant):
    """A phone that retries a check-in on a flaky network may send the same request several
    times at once: every copy answers as the first did (201, the same record), replayed."""
    from shared_apps.accounts.models import User
    from tests.attendance.conftest import position_near
    from tests.conftest import TenantClient

    tenant = scratch_tenant()
    with schema_context(tenant.schema_name):
        user = User.objects.create_user(email="tapper@example.test", password="pass-word-123",
                                        role="member")
        employee = EmployeeFactory(user=user)
        body = {"position": position_near(employee.default_site)}
    signed_in = TenantClient(tenant.slug).login_as(user)
    barrier = threading.Barrier(RACERS)
    answers: list[tuple[int, str, object]] = []
    lock = threading.Lock()

    def retry() -> None:
        client = TenantClient(tenant.slug)
        client.cookies = signed_in.cookies
        try:
            barrier.wait()
            response = client.post("/api/v1/attendance/check-in", body, format="json",
                                   HTTP_IDEMPOTENCY_KEY="tap-42")
            answer = (response.status_code, response.headers.get("Idempotent-Replayed", ""),
                      response.json().get("id") or response.json()["error"]["code"])
        finally:
            connection.close()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=retry) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    with schema_context(tenant.schema_name):
        record = AttendanceRecord.objects.get(employee=employee)
    assert sorted(answers) == ([(201, "", record.pk)]
                               + [(201, "true", record.pk)] * (RACERS - 1))
