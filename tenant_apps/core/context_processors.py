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


def workspace(request: HttpRequest) -> dict:
    """The workspace's display name and time zone (lazy: read only by pages that show them)."""
    from tenant_apps.core.pages import workspace as settings_of

    def name() -> str:
        tenant = getattr(request, "tenant", None)
        if tenant is None or getattr(tenant, "schema_name", "public") == "public":
            return "SaaS platform"
        return settings_of(request).display_name or tenant.name

    def zone() -> str:
        if getattr(request, "tenant", None) is None:
            return "UTC"
        return settings_of(request).time_zone

    return {"workspace_name": name, "workspace_zone": zone}
