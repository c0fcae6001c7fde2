"""Role checks for tenant API views: viewer < member < admin < owner.

A request made with an API key acts as the key's creator, capped by the key's scope: a ``read``
key is a viewer, a ``read_write`` key at most an admin (never owner), and neither can manage keys.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from tenant_apps.core.api.key_authentication import request_api_key
from tenant_apps.core.roles import ROLE_RANK, Role

SCOPE_CEILING = {"read": Role.VIEWER, "read_write": Role.ADMIN}


def effective_role(request) -> str | None:
    user = request.user
    if not (user and user.is_authenticated and user.is_active):
        return None
    role = Role(user.role)
    api_key = request_api_key(request)
    if api_key is not None:
        ceiling = SCOPE_CEILING[api_key.scope]
        if ROLE_RANK[ceiling] < ROLE_RANK[role]:
            role = ceiling
    return role


def has_role(request, minimum: str) -> bool:
    role = effective_role(request)
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]


def role_required(read: str = Role.VIEWER, write: str = Role.MEMBER) -> type[BasePermission]:
    """A permission class: safe methods need ``read``, others ``write`` (both minimum roles)."""

    class HasRole(BasePermission):
        message = "Your role does not allow this."

        def has_permission(self, request, view) -> bool:
            needed = read if request.method in SAFE_METHODS else write
            return has_role(request, needed)

    HasRole.__name__ = f"HasRole_{read}_{write}"
    return HasRole


class SessionOnly(BasePermission):
    """For actions an API key must never do (such as minting more keys)."""

    message = "This action needs a signed-in user, not an API key."

    def has_permission(self, request, view) -> bool:
        return request_api_key(request) is None
