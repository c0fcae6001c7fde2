"""Tenant lifecycle after provisioning: suspend, reactivate, delete."""

from __future__ import annotations

from django.db import transaction

from saas_platform.errors import Conflict, NotFound
from tenants import schemas
from tenants.models import Domain, Tenant, TenantState


def _get(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise NotFound(f"No tenant '{slug}'.", code="tenant_not_found")
    return tenant


def tenant_suspend(*, slug: str) -> Tenant:
    tenant = _get(slug)
    if tenant.state not in (TenantState.ACTIVE, TenantState.SUSPENDED):
        raise Conflict(f"Tenant '{slug}' is {tenant.state}; only an active tenant can be "
                       "suspended.", code="invalid_state")
    tenant.state = TenantState.SUSPENDED
    tenant.save(update_fields=["state", "updated_at"])
    return tenant


def tenant_activate(*, slug: str) -> Tenant:
    tenant = _get(slug)
    if tenant.state not in (TenantState.ACTIVE, TenantState.SUSPENDED):
        raise Conflict(f"Tenant '{slug}' is {tenant.state}; only a suspended tenant can be "
                       "activated.", code="invalid_state")
    tenant.state = TenantState.ACTIVE
    tenant.save(update_fields=["state", "updated_at"])
    return tenant


@transaction.atomic
def tenant_delete(*, slug: str) -> None:
    """Drop the tenant's schema (all its data), its domains and its registry row."""
    tenant = _get(slug)
    Domain.objects.filter(tenant=tenant).delete()
    schemas.schema_drop(tenant.schema_name)
    tenant.delete()
