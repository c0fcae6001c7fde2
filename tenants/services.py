"""Tenant lifecycle after provisioning: suspend, reactivate, delete. Each operator action writes
one platform audit entry in the same transaction as the change (shared_apps.audit), so the
console, the operator API and the CLI, which all call these, are audited alike."""

from __future__ import annotations

from django.db import transaction

from shared_apps.audit.services import platform_audit
from tenant_apps.core.errors import Conflict, InvalidInput
from tenants.models import Domain, Tenant, TenantState
from tenants.schema.create import schema_drop
from tenants.selectors import tenant_get

SUSPENSION_REASON_MAX = 500


def _reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if len(text) > SUSPENSION_REASON_MAX:
        raise InvalidInput(fields={"reason": [f"At most {SUSPENSION_REASON_MAX} characters."]})
    return text


@transaction.atomic
def tenant_suspend(*, slug: str, reason: str = "", audit: bool = True) -> Tenant:
    """Stop serving the tenant: its hosts answer 403 with ``reason`` (shown to its users).
    ``audit=False`` for a suspension that is a step of another audited action (archiving)."""
    reason = _reason(reason)
    tenant = tenant_get(slug=slug)
    if tenant.state not in (TenantState.ACTIVE, TenantState.SUSPENDED):
        raise Conflict(f"Tenant '{slug}' is {tenant.state}; only an active tenant can be "
                       "suspended.", code="invalid_state")
    previous = tenant.state
    tenant.state = TenantState.SUSPENDED
    tenant.suspension_reason = reason
    tenant.save(update_fields=["state", "suspension_reason", "updated_at"])
    if audit:
        platform_audit("tenant.suspend", target=slug,
                       detail={"reason": reason, "previous_state": previous})
    return tenant


@transaction.atomic
def tenant_activate(*, slug: str) -> Tenant:
    tenant = tenant_get(slug=slug)
    if tenant.state not in (TenantState.ACTIVE, TenantState.SUSPENDED):
        raise Conflict(f"Tenant '{slug}' is {tenant.state}; only a suspended tenant can be "
                       "activated.", code="invalid_state")
    if tenant.state == TenantState.ACTIVE:
        return tenant  # nothing changes, so nothing to audit
    previous = tenant.state
    tenant.state = TenantState.ACTIVE
    tenant.suspension_reason = ""
    tenant.save(update_fields=["state", "suspension_reason", "updated_at"])
    platform_audit("tenant.activate", target=slug, detail={"previous_state": previous})
    return tenant


def tenant_delete_check(*, slug: str) -> Tenant:
    """The tenant, if it may be deleted now: an active tenant is suspended or archived first
    (so that deleting a live customer takes two deliberate steps), and a provisioning run is
    left to finish or roll back."""
    tenant = tenant_get(slug=slug)
    if tenant.state == TenantState.ACTIVE:
        raise Conflict(f"Tenant '{slug}' is active; suspend or archive it before deleting it.",
                       code="tenant_active")
    if tenant.state == TenantState.PROVISIONING and not tenant.provisioning_error:
        raise Conflict(f"Tenant '{slug}' is being provisioned; wait for the run to finish.",
                       code="invalid_state")
    return tenant


@transaction.atomic
def tenant_delete(*, slug: str, force: bool = False) -> None:
    """Drop the tenant's schema (all its data), its domains and its registry row. ``force``
    skips the state rule, for tests and scripts that tear down what they made."""
    tenant = tenant_get(slug=slug) if force else tenant_delete_check(slug=slug)
    domains = list(Domain.objects.filter(tenant=tenant).values_list("domain", flat=True))
    Domain.objects.filter(tenant=tenant).delete()
    schema_drop(tenant.schema_name)
    platform_audit("tenant.delete", target=slug,
                   detail={"state": tenant.state, "name": tenant.name, "domains": domains,
                           "archive_file": tenant.archive_file})
    tenant.delete()


@transaction.atomic
def tenant_rename(*, slug: str, name: str) -> Tenant:
    """Change the tenant's display name (the slug never changes: see Tenant.save)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput(fields={"name": ["A name of 1 to 200 characters is required."]})
    tenant = tenant_get(slug=slug)
    if tenant.name != name:
        old, tenant.name = tenant.name, name
        tenant.save(update_fields=["name", "updated_at"])
        platform_audit("tenant.rename", target=slug, detail={"from": old, "to": name})
    return tenant
