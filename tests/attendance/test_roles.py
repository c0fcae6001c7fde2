"""The role matrix of the attendance API, for signed-in users and API keys.

viewer: reads everything. member: also checks itself in and out. admin: also manages sites,
employees, shifts and assignments, corrects records and exports. owner: everything. A ``read``
key acts as a viewer, a ``read_write`` key as its creator capped at admin.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from tenant_apps.attendance.models import AttendanceCorrection
from tenant_apps.core.models import ApiKey
from tenant_apps.core.roles import ROLE_RANK, Role
from tests.attendance.conftest import position_near
from tests.attendance.factories import (
    AttendanceRecordFactory,
    EmployeeFactory,
    ShiftAssignmentFactory,
    ShiftFactory,
    SiteFactory,
)

_names = itertools.count(1)


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    minimum: str
    success: int
    body: object = None


def _site_body() -> dict:
    return {"name": f"New site {next(_names)}", "latitude": 1, "longitude": 2, "radius_m": 50,
            "time_zone": "UTC"}


CASES = [
    Case("get", "/api/v1/attendance/sites", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/sites/{site}", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/employees", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/employees/{employee}", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/shifts", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/shifts/{shift}", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/shift-assignments", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/shift-assignments/{assignment}", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/records", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/records/{record}", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/corrections", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/corrections/{correction}", Role.VIEWER, 200),
    Case("get", "/api/v1/attendance/timesheet?employee={employee}&from=2026-03-01&to=2026-03-31",
         Role.VIEWER, 200),
    Case("post", "/api/v1/attendance/check-in", Role.MEMBER, 201, "check_in"),
    Case("post", "/api/v1/attendance/check-out", Role.MEMBER, 200, {}),
    Case("post", "/api/v1/attendance/sites", Role.ADMIN, 201, _site_body),
    Case("patch", "/api/v1/attendance/sites/{site}", Role.ADMIN, 200, {"radius_m": 500}),
    Case("delete", "/api/v1/attendance/sites/{spare_site}", Role.ADMIN, 204),
    Case("post", "/api/v1/attendance/employees", Role.ADMIN, 201,
         lambda: {"code": f"N{next(_names)}", "name": "New"}),
    Case("patch", "/api/v1/attendance/employees/{employee}", Role.ADMIN, 200, {"name": "Renamed"}),
    Case("delete", "/api/v1/attendance/employees/{spare_employee}", Role.ADMIN, 204),
    Case("post", "/api/v1/attendance/shifts", Role.ADMIN, 201,
         lambda: {"name": f"S{next(_names)}", "start_time": "08:00", "end_time": "12:00",
                  "weekdays": [1]}),
    Case("patch", "/api/v1/attendance/shifts/{shift}", Role.ADMIN, 200, {"grace_minutes": 7}),
    Case("delete", "/api/v1/attendance/shifts/{spare_shift}", Role.ADMIN, 204),
    Case("post", "/api/v1/attendance/shift-assignments", Role.ADMIN, 201, "assignment"),
    Case("patch", "/api/v1/attendance/shift-assignments/{assignment}", Role.ADMIN, 200,
         {"valid_to": "2026-12-31"}),
    Case("delete", "/api/v1/attendance/shift-assignments/{assignment}", Role.ADMIN, 204),
    Case("patch", "/api/v1/attendance/records/{record}", Role.ADMIN, 200,
         {"check_in_at": "2026-03-02T07:30:00Z", "reason": "Clock was wrong"}),
    Case("post", "/api/v1/attendance/exports", Role.ADMIN, 202, {"month": "2026-03"}),
]

# (how the caller authenticates, its role or key scope, the effective role)
CALLERS = [
    ("session", Role.VIEWER, Role.VIEWER),
    ("session", Role.MEMBER, Role.MEMBER),
    ("session", Role.ADMIN, Role.ADMIN),
    ("session", Role.OWNER, Role.OWNER),
    ("read key of an owner", Role.OWNER, Role.VIEWER),
    ("read_write key of an owner", Role.OWNER, Role.ADMIN),
    ("read_write key of a member", Role.MEMBER, Role.MEMBER),
]


def _caller(kind: str, role: str, client_for, api_key_for, in_tenant):
    if kind == "session":
        client = client_for("acme", role=role)
        return client, client.user
    scope = kind.split(" ")[0]
    client, raw_key = api_key_for("acme", scope=scope, role=role)
    with in_tenant("acme"):
        user = ApiKey.objects.get(prefix=raw_key[3:].split(".")[0]).created_by
    return client, user


def _world(user) -> dict:
    site = SiteFactory()
    own = EmployeeFactory(user=user, default_site=site)
    shift = ShiftFactory(weekdays=[1, 2, 3])
    assignment = ShiftAssignmentFactory(employee=own, shift=shift, site=site)
    record = AttendanceRecordFactory(employee=own, site=site)
    correction = AttendanceCorrection.objects.create(record=record, field="check_in_at",
                                                     old_value="a", new_value="b", reason="r")
    return {"site": site, "employee": own, "shift": shift, "assignment": assignment,
            "record": record, "correction": correction, "spare_site": SiteFactory(),
            "spare_employee": EmployeeFactory(), "spare_shift": ShiftFactory(),
            "weekend_shift": ShiftFactory(weekdays=[6, 7])}


def _body(case: Case, world: dict, in_tenant):
    if case.body == "check_in":
        return {"position": position_near(world["site"])}
    if case.body == "assignment":
        return {"employee": world["employee"].pk, "shift": world["weekend_shift"].pk,
                "site": world["site"].pk, "valid_from": "2026-01-01"}
    if case.path.endswith("check-out"):
        with in_tenant("acme"):  # something to check out of
            AttendanceRecordFactory(employee=world["employee"], check_out_at=None,
                                    check_in_at="2026-03-05T08:00:00Z")
    return case.body() if callable(case.body) else case.body


@pytest.mark.parametrize(("kind", "role", "effective"), CALLERS,
                         ids=[f"{k}-{r}" for k, r, _ in CALLERS])
@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.path}" for c in CASES])
def test_role_matrix(case, kind, role, effective, client_for, api_key_for, in_tenant):
    client, user = _caller(kind, role, client_for, api_key_for, in_tenant)
    with in_tenant("acme"):
        world = _world(user)
    path = case.path.format(**{name: obj.pk for name, obj in world.items()})
    allowed = ROLE_RANK[effective] >= ROLE_RANK[case.minimum]

    response = getattr(client, case.method)(path, _body(case, world, in_tenant), format="json")

    expected = case.success if allowed else 403
    assert response.status_code == expected, response.content
    if not allowed:
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("path", ["/api/v1/attendance/sites", "/api/v1/attendance/records",
                                  "/api/v1/attendance/timesheet"])
def test_anonymous_callers_get_401(client_for, path):
    response = client_for("acme", role=None).get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
