"""Distances on the Earth and the geofence rule."""

from __future__ import annotations

import math
from decimal import Decimal

# The mean Earth radius (IUGG); the spherical model errs by < 0.5 %, far below GPS accuracy.
EARTH_RADIUS_M = 6_371_008.8

Number = float | Decimal


def haversine_m(lat1: Number, lon1: Number, lat2: Number, lon2: Number) -> float:
    """Great-circle distance in metres between two WGS84 positions given in degrees."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dphi = phi2 - phi1
    dlambda = math.radians(float(lon2) - float(lon1))
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def within_geofence(*, distance_m: float, radius_m: Number, accuracy_m: Number) -> bool:
    """A position counts as at the site unless even its most favourable reading (the reported
    point moved ``accuracy_m`` towards the site) is beyond the radius."""
    return distance_m <= float(radius_m) + float(accuracy_m)
