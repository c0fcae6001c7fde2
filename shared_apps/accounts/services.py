"""Writes to a user's own account that allauth does not cover."""

from __future__ import annotations

from tenant_apps.core.errors import InvalidInput


def user_profile_update(*, user, full_name: str):
    full_name = full_name.strip()
    if len(full_name) > 200:
        raise InvalidInput(fields={"full_name": ["At most 200 characters."]})
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    return user
