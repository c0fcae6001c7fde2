"""Bad input anywhere gets a 4xx in the one error format, never a 500, and changes nothing."""

from __future__ import annotations

import json

import pytest

from tenant_apps.attendance.models import (
    AttendanceCorrection,
    AttendanceRecord,
    Employee,
    Shift,
    ShiftAssignment,
    Site,
)
from tests.attendance.factories import AttendanceRecordFactory, ShiftAssignmentFactory

MODELS = (Site, Employee, Shift, ShiftAssignment, AttendanceRecord, AttendanceCorrection)

WRITES = [
    ("post", "/api/v1/attendance/sites"),
    ("patch", "/api/v1/attendance/sites/{site}"),
    ("post", "/api/v1/attendance/employees"),
    ("patch", "/api/v1/attendance/employees/{employee}"),
    ("post", "/api/v1/attendance/shifts"),
    ("patch", "/api/v1/attendance/shifts/{shift}"),
    ("post", "/api/v1/attendance/shift-assignments"),
    ("patch", "/api/v1/attendance/shift-assignments/{assignment}"),
    ("patch", "/api/v1/attendance/records/{record}"),
    ("post", "/api/v1/attendance/check-in"),
    ("post", "/api/v1/attendance/check-out"),
    ("post", "/api/v1/attendance/exports"),
]

HUGE = 10**40
BAD_JSON_BODIES = {
    "a list": [1, 2],
    "a string": "hello",
    "null": None,
    "wrong types": {"name": ["x"], "latitude": {"a": 1}, "radius_m": "far", "code": 5.5,
                    "start_time": 9, "weekdays": "mon", "employee": "me",
                    "valid_from": "soon", "check_in_at": 123, "reason": ["r"],
                    "position": "here", "kiosk": "maybe", "month": ["2026-03"]},
    "huge numbers": {"latitude": HUGE, "longitude": -HUGE, "radius_m": HUGE,
                     "grace_minutes": HUGE, "employee": HUGE, "shift": HUGE, "site": HUGE,
                     "weekdays": [HUGE], "user": HUGE, "default_site": HUGE,
                     "position": {"latitude": HUGE, "longitude": 1, "accuracy_m": HUGE}},
    "bad dates": {"valid_from": "2026-02-30", "valid_to": "0000-01-01",
                  "check_in_at": "2026-13-01T00:00:00Z",
                  "check_out_at": "9999-12-31T23:59:59-14:00",
                  "start_time": "24:61", "end_time": "noon", "time_zone": "Europe/Atlantis",
                  "month": "2026-00", "reason": "x"},
    "unknown fields only": {"colour": "red", "size": 3},
}


def _snapshot(in_tenant) -> list[int]:
    with in_tenant("acme"):
        return [model.objects.count() for model in MODELS]


@pytest.fixture
def world(in_tenant, db) -> dict:
    with in_tenant("acme"):
        assignment = ShiftAssignmentFactory()
        record = AttendanceRecordFactory(employee=assignment.employee, site=assignment.site)
    return {"site": assignment.site.pk, "employee": assignment.employee.pk,
            "shift": assignment.shift.pk, "assignment": assignment.pk, "record": record.pk}


def _assert_error(response, status_range=range(400, 500)) -> dict:
    assert response.status_code in status_range, (response.status_code, response.content)
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    return error


@pytest.mark.parametrize("body_name", BAD_JSON_BODIES)
@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_bad_bodies_get_a_4xx_and_change_nothing(method, path, body_name, client_for,
                                                 in_tenant, world):
    admin = client_for("acme", role="admin")
    before = _snapshot(in_tenant)

    response = getattr(admin, method)(path.format(**world),
                                      json.dumps(BAD_JSON_BODIES[body_name]),
                                      content_type="application/json")

    _assert_error(response)
    assert _snapshot(in_tenant) == before


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_malformed_json_is_400(method, path, client_for, in_tenant, world):
    admin = client_for("acme", role="admin")
    response = getattr(admin, method)(path.format(**world), '{"name": "x",',
                                      content_type="application/json")
    assert _assert_error(response, range(400, 401))["code"] == "malformed_request"


def test_form_encoded_body_is_415(client_for):
    response = client_for("acme", role="admin").generic(
        "POST", "/api/v1/attendance/sites", "name=x",
            content_type="application/x-www-form-urlencoded")
    assert _assert_error(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("pk", ["0", "-1", "99999999", str(10**30)])
@pytest.mark.parametrize("name", ["sites", "employees", "shifts", "shift-assignments",
                                  "attendance-records", "attendance-corrections"])
def test_missing_or_absurd_ids_are_404(name, pk, client_for):
    response = client_for("acme", role="viewer").get(f"/api/v1/{name}/{pk}")
    assert _assert_error(response, range(404, 405))["code"] == "not_found"


@pytest.mark.parametrize("query", ["page=abc", "page=999", "page_size=-1", "ordering=nonsense",
                                   "employee=99999999999999999999999", "site=-5"])
def test_odd_query_strings_never_500(query, client_for):
    response = client_for("acme", role="viewer").get(f"/api/v1/attendance/records?{query}")
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        _assert_error(response)
