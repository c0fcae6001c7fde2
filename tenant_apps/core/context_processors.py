"""Template context for the pages of a tenant host."""

from django.http import HttpRequest

from tenant_apps.core.contract import nav_entries


def navigation(request: HttpRequest) -> dict:
    """The navigation of the signed-in user, built from the tenant apps' contracts. Lazy, so a
    page that shows no navigation (sign-in, the public host) pays nothing."""
    user = getattr(request, "user", None)

    def entries():
        if user is None or not user.is_authenticated or getattr(request, "tenant", None) is None:
            return []
        return nav_entries(user.role)

    return {"nav_entries": entries}
