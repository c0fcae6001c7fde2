"""Checking in and out through the API: who may, the geofence, one open record, sources."""

from __future__ import annotations

import pytest

from tenant_apps.attendance.models import AttendanceRecord
from tests.attendance.conftest import position_near
from tests.attendance.factories import AttendanceRecordFactory, EmployeeFactory, SiteFactory

CHECK_IN = "/api/v1/attendance/check-in"
CHECK_OUT = "/api/v1/attendance/check-out"


def records_of(in_tenant, employee, slug="acme") -> list[AttendanceRecord]:
    with in_tenant(slug):
        return list(AttendanceRecord.objects.filter(employee=employee).order_by("pk"))


def test_member_checks_in_and_out_for_themselves(member_employee, in_tenant):
    client, employee = member_employee()
    site = employee.default_site

    response = client.post(CHECK_IN, {"position": position_near(site, north_m=30)},
                           format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["employee"] == employee.pk
    assert body["site"] == site.pk
    assert body["open"] is True
    assert body["source"] == "web"
    assert body["check_in_inside_geofence"] is True
    assert body["checked_in_by"] == client.user.email

    response = client.post(CHECK_OUT, {"position": position_near(site)}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["open"] is False
    assert response.json()["check_out_inside_geofence"] is True
    [record] = records_of(in_tenant, employee)
    assert record.check_out_at is not None and record.check_out_source == "web"


def test_second_check_in_is_refused_and_writes_nothing(member_employee, in_tenant):
    client, employee = member_employee()
    position = position_near(employee.default_site)
    assert client.post(CHECK_IN, {"position": position}, format="json").status_code == 201

    response = client.post(CHECK_IN, {"position": position}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_checked_in"
    assert len(records_of(in_tenant, employee)) == 1


def test_check_out_without_open_record_is_refused(member_employee):
    client, _employee = member_employee()
    response = client.post(CHECK_OUT, {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_checked_in"


@pytest.mark.parametrize(("north_m", "accuracy_m", "accepted"), [
    (99, 0, True),      # inside the 100 m radius
    (140, 50, True),    # outside the radius, but within radius + accuracy
    (160, 50, False),   # beyond radius + accuracy
    (5000, 10, False),
])
def test_geofence_allows_for_the_reported_accuracy(member_employee, in_tenant, north_m,
                                                   accuracy_m, accepted):
    client, employee = member_employee()  # the factory's site has a 100 m radius
    position = position_near(employee.default_site, north_m=north_m, accuracy_m=accuracy_m)

    response = client.post(CHECK_IN, {"position": position}, format="json")

    if accepted:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 422, response.content
        error = response.json()["error"]
        assert error["code"] == "outside_geofence"
        assert f"is {north_m} m from {employee.default_site.name}" in error["message"]
        assert records_of(in_tenant, employee) == []


def test_check_in_at_another_site_uses_that_sites_geofence(member_employee, in_tenant):
    client, employee = member_employee()
    with in_tenant("acme"):
        # Bengaluru: the Berlin position of the default site is thousands of km away.
        far = SiteFactory(latitude="12.971599", longitude="77.594566", time_zone="Asia/Kolkata")
    response = client.post(CHECK_IN, {"site": far.pk,
                                      "position": position_near(employee.default_site)},
                           format="json")
    assert response.status_code == 422
    response = client.post(CHECK_IN, {"site": far.pk, "position": position_near(far)},
                           format="json")
    assert response.status_code == 201
    assert response.json()["site"] == far.pk


@pytest.mark.parametrize(("position", "field"), [
    ({"latitude": 91, "longitude": 13, "accuracy_m": 5}, "position.latitude"),
    ({"latitude": 52, "longitude": -180.5, "accuracy_m": 5}, "position.longitude"),
    ({"latitude": 52, "longitude": 13, "accuracy_m": 1001}, "position.accuracy_m"),
    ({"latitude": 52, "longitude": 13, "accuracy_m": -1}, "position.accuracy_m"),
    ({"latitude": 52, "longitude": 13}, "position.accuracy_m"),
    ({"latitude": "NaN", "longitude": 13, "accuracy_m": 5}, "position.latitude"),
    ({"latitude": "1e400", "longitude": 13, "accuracy_m": 5}, "position.latitude"),
    ({"latitude": 52, "longitude": 13, "accuracy_m": 5, "altitude": 30}, "position.altitude"),
])
def test_invalid_positions_get_400_naming_the_field(member_employee, in_tenant, position,
                                                    field):
    client, employee = member_employee()
    response = client.post(CHECK_IN, {"position": position}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert records_of(in_tenant, employee) == []


def test_accuracy_above_the_bound_says_why(member_employee):
    client, employee = member_employee()
    response = client.post(CHECK_IN, {"position": position_near(
        employee.default_site, accuracy_m=5000)}, format="json")
    [message] = response.json()["error"]["fields"]["position.accuracy_m"]
    assert "too coarse" in message


def test_gps_coordinates_with_many_decimals_are_rounded_not_refused(member_employee):
    client, employee = member_employee()
    site = employee.default_site
    position = {"latitude": f"{site.latitude}123456789", "longitude": f"{site.longitude}98765",
                "accuracy_m": 4.56}
    response = client.post(CHECK_IN, {"position": position}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["check_in_latitude"] == float(site.latitude)
    assert response.json()["check_in_accuracy_m"] == 4.6


def test_position_is_required_except_at_a_kiosk(member_employee, client_for, in_tenant):
    client, employee = member_employee()
    response = client.post(CHECK_IN, {}, format="json")
    assert response.status_code == 400
    assert "position" in response.json()["error"]["fields"]

    admin = client_for("acme", role="admin")
    response = admin.post(CHECK_IN, {"employee": employee.pk, "kiosk": True}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "kiosk"
    assert response.json()["check_in_inside_geofence"] is None


def test_member_cannot_act_for_another_employee_or_claim_a_kiosk(member_employee, in_tenant):
    client, employee = member_employee()
    with in_tenant("acme"):
        colleague = EmployeeFactory()
    position = position_near(colleague.default_site)

    response = client.post(CHECK_IN, {"employee": colleague.pk, "position": position},
                           format="json")
    assert response.status_code == 403
    response = client.post(CHECK_IN, {"kiosk": True, "position": position_near(
        employee.default_site)}, format="json")
    assert response.status_code == 403
    assert records_of(in_tenant, colleague) == [] and records_of(in_tenant, employee) == []


def test_member_may_name_themselves(member_employee):
    client, employee = member_employee()
    response = client.post(CHECK_IN, {"employee": employee.pk, "position": position_near(
        employee.default_site)}, format="json")
    assert response.status_code == 201


def test_admin_checks_in_any_employee(client_for, in_tenant):
    admin = client_for("acme", role="admin")
    with in_tenant("acme"):
        employee = EmployeeFactory()
    response = admin.post(CHECK_IN, {"employee": employee.pk,
                                     "position": position_near(employee.default_site)},
                          format="json")
    assert response.status_code == 201
    response = admin.post(CHECK_OUT, {"employee": employee.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["check_out_inside_geofence"] is None


def test_admin_naming_an_unknown_employee_gets_404(client_for):
    admin = client_for("acme", role="admin")
    for path in (CHECK_IN, CHECK_OUT):
        response = admin.post(path, {"employee": 999999, "kiosk": True}, format="json")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_unknown_site_is_a_field_error(member_employee, in_tenant):
    client, employee = member_employee()
    response = client.post(CHECK_IN, {"site": 999999, "position": position_near(
        employee.default_site)}, format="json")
    assert response.status_code == 400
    assert "site" in response.json()["error"]["fields"]
    assert records_of(in_tenant, employee) == []


def test_unlinked_caller_must_name_an_employee(client_for):
    admin = client_for("acme", role="admin")
    response = admin.post(CHECK_IN, {"kiosk": True}, format="json")
    assert response.status_code == 400
    assert "not linked" in response.json()["error"]["fields"]["employee"][0]


def test_api_key_check_in_is_recorded_as_api(api_key_for, in_tenant):
    client, _raw = api_key_for("acme", scope="read_write", role="admin")
    with in_tenant("acme"):
        employee = EmployeeFactory()
    response = client.post(CHECK_IN, {"employee": employee.pk,
                                      "position": position_near(employee.default_site)},
                           format="json")
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "api"


def test_read_key_cannot_check_in(api_key_for, in_tenant):
    client, _raw = api_key_for("acme", scope="read", role="owner")
    with in_tenant("acme"):
        employee = EmployeeFactory()
    response = client.post(CHECK_IN, {"employee": employee.pk, "kiosk": True}, format="json")
    assert response.status_code == 403
    assert records_of(in_tenant, employee) == []


def test_check_out_outside_the_geofence_is_accepted_and_flagged(member_employee):
    client, employee = member_employee()
    site = employee.default_site
    client.post(CHECK_IN, {"position": position_near(site)}, format="json")
    response = client.post(CHECK_OUT, {"position": position_near(site, north_m=2000)},
                           format="json")
    assert response.status_code == 200
    assert response.json()["check_out_inside_geofence"] is False


def test_inactive_employee_cannot_check_in(member_employee):
    client, employee = member_employee(active=False)
    response = client.post(CHECK_IN, {"position": position_near(employee.default_site)},
                           format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "employee_inactive"


def test_employee_without_default_site_must_name_one(member_employee):
    client, _employee = member_employee(default_site=None)
    response = client.post(CHECK_IN, {"position": {"latitude": 1, "longitude": 1,
                                                   "accuracy_m": 1}}, format="json")
    assert response.status_code == 400
    assert "site" in response.json()["error"]["fields"]


def test_repeated_idempotency_key_replays_the_check_in(member_employee, in_tenant):
    client, employee = member_employee()
    body = {"position": position_near(employee.default_site)}
    first = client.post(CHECK_IN, body, format="json", HTTP_IDEMPOTENCY_KEY="tap-1")
    again = client.post(CHECK_IN, body, format="json", HTTP_IDEMPOTENCY_KEY="tap-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert len(records_of(in_tenant, employee)) == 1


def test_open_record_written_elsewhere_still_blocks_check_in(member_employee, in_tenant):
    client, employee = member_employee()
    with in_tenant("acme"):
        AttendanceRecordFactory(employee=employee, check_out_at=None)
    response = client.post(CHECK_IN, {"position": position_near(employee.default_site)},
                           format="json")
    assert response.status_code == 409
