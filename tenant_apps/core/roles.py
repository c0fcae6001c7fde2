"""The roles inside a tenant: viewer < member < admin < owner. A higher role may do everything a
lower one may. The role is stored on the tenant's user row (``accounts.User.role``); the checks
that API views and pages make live in ``tenant_apps.core.api.permissions``."""

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def role_at_least(role: str, minimum: str) -> bool:
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]
