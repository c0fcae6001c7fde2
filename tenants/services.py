"""Tenant lifecycle after provisioning: suspend, reactivate, delete."""

from __future__ import annotations

from django.db import transaction

from tenant_apps.core.errors import Conflict
from tenants.models import Domain, Tenant, TenantState
from tenants.schema.create import schema_drop
from tenants.selectors import tenant_get


def tenant_suspend(*, slug: str) -> Tenant:
    tenant = tenant_get(slug=slug)
    if tenant.state not in (TenantState.ACTIVE, TenantState.SUSPENDED):
        raise Conflict(f"Tenant '{slug}' is {tenant.state}; only an active tenant can be "
                       "suspended.", code="invalid_state")
    tenant.state = TenantState.SUSPENDED
    tenant.save(update_fields=["state", "updated_at"])
    return tenant


def tenant_activate(*, slug: str) -> Tenant:
    tenant = tenant_get(slug=slug)
    if tenant.state not in (TenantState.ACTIVE, TenantState.SUSPENDED):
        raise Conflict(f"Tenant '{slug}' is {tenant.state}; only a suspended tenant can be "
                       "activated.", code="invalid_state")
    tenant.state = TenantState.ACTIVE
    tenant.save(update_fields=["state", "updated_at"])
    return tenant


@transaction.atomic
def tenant_delete(*, slug: str) -> None:
    """Drop the tenant's schema (all its data), its domains and its registry row."""
    tenant = tenant_get(slug=slug)
    Domain.objects.filter(tenant=tenant).delete()
    schema_drop(tenant.schema_name)
    tenant.delete()
