"""Validation shared by models and serializers of the tenant apps."""

from __future__ import annotations

import functools
import zoneinfo

from django.core.exceptions import ValidationError


@functools.cache
def _known_time_zones() -> frozenset[str]:
    # Scans the tz database once per process. Membership, rather than trying ZoneInfo(name),
    # also refuses names that zoneinfo would resolve as file paths.
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _known_time_zones():
        raise ValidationError(f"{value!r} is not an IANA time zone (such as Europe/Berlin).",
                              code="invalid_time_zone")
