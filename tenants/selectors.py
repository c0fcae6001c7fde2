from django.db.models import Count, QuerySet

from tenants.models import Tenant, TenantState


def tenant_list(*, state: str | None = None) -> QuerySet[Tenant]:
    qs = Tenant.objects.annotate(domain_count=Count("domains")).order_by("slug")
    return qs.filter(state=state) if state else qs


def tenants_active() -> QuerySet[Tenant]:
    return Tenant.objects.filter(state=TenantState.ACTIVE).order_by("pk")
