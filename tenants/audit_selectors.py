"""Reading the audit logs from the control plane: the platform's, or a tenant's in its schema."""

from __future__ import annotations

from django_tenants.utils import schema_context

from shared_apps.audit.models import PlatformAuditEntry
from tenant_apps.core.audit_log import audit_filter
from tenant_apps.core.errors import NotFound
from tenant_apps.core.models import TenantAuditEntry
from tenants.models import Tenant, TenantState


def audit_rows(*, tenant_slug: str | None, filters: dict, limit: int | None) -> list:
    """The platform's log, or a tenant's, filtered, newest first, as a list (read inside the
    tenant's schema): ``manage.py tenant audit``."""
    if not tenant_slug:
        rows = audit_filter(PlatformAuditEntry.objects.all(), filters)
        return list(rows[:limit] if limit else rows)
    tenant = Tenant.objects.exclude(schema_name="public").filter(slug=tenant_slug).first()
    if tenant is None or tenant.state not in (TenantState.ACTIVE, TenantState.SUSPENDED):
        raise NotFound(f"No tenant '{tenant_slug}' with a schema.", code="tenant_not_found")
    with schema_context(tenant.schema_name):
        rows = audit_filter(TenantAuditEntry.objects.all(), filters)
        return list(rows[:limit] if limit else rows)
