from django.db.models import Count, QuerySet

from tenant_apps.core.errors import NotFound
from tenants.models import Tenant, TenantState


def tenant_get(*, slug: str) -> Tenant:
    """The tenant, or NotFound (404 ``tenant_not_found``)."""
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise NotFound(f"No tenant '{slug}'.", code="tenant_not_found")
    return tenant


def tenant_list(*, state: str | None = None) -> QuerySet[Tenant]:
    qs = Tenant.objects.annotate(domain_count=Count("domains")).order_by("slug")
    return qs.filter(state=state) if state else qs


def tenants_active() -> QuerySet[Tenant]:
    return Tenant.objects.filter(state=TenantState.ACTIVE).order_by("pk")
