from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from tenant_apps.attendance.geo import EARTH_RADIUS_M
from tests.attendance.factories import EmployeeFactory

METRES_PER_DEGREE_LAT = EARTH_RADIUS_M * 3.141592653589793 / 180


def position_near(site, *, north_m: float = 0, accuracy_m: float = 10) -> dict:
    """A JSON position ``north_m`` metres due north of the site's centre."""
    latitude = Decimal(str(site.latitude)) + Decimal(north_m / METRES_PER_DEGREE_LAT)
    return {"latitude": str(round(latitude, 7)), "longitude": str(site.longitude),
            "accuracy_m": accuracy_m}


@pytest.fixture
def member_employee(client_for, in_tenant) -> Callable:
    """``member_employee("acme", role="member")``: (client signed in, its linked employee)."""

    def make(slug: str = "acme", role: str = "member", **employee_fields):
        client = client_for(slug, role=role)
        with in_tenant(slug):
            employee = EmployeeFactory(user=client.user, **employee_fields)
        return client, employee

    return make
