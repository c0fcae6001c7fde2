"""Operators' writes on plans: move a tenant to another plan, override a feature for one tenant.

``tenant_plan_change`` is also the seam a billing provider plugs into: its webhook handler
(a subscription created, upgraded, cancelled) verifies the provider's signature and calls this
one function with the tenant's slug and the plan the subscription pays for (docs/plans.md).
Console, operator API and CLI call it too, so each change is audited once, the same way."""

from __future__ import annotations

from django.db import transaction

from shared_apps.audit.services import platform_audit
from tenant_apps.core.errors import InvalidInput, NotFound
from tenants.models import Tenant
from tenants.plan_models import FEATURE_NAME
from tenants.plans.selectors import plan_get
from tenants.routing import host_router


def _locked_tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.select_for_update().filter(slug=slug).first()
    if tenant is None:
        raise NotFound(f"No tenant '{slug}'.", code="tenant_not_found")
    return tenant


def _changed(tenant: Tenant, fields: list[str]) -> None:
    tenant.save(update_fields=[*fields, "updated_at"])
    # The signals publish the change after the commit; this process forgets the old row now.
    host_router.clear_local()


@transaction.atomic
def tenant_plan_change(*, slug: str, plan: str) -> Tenant:
    """Put the tenant on ``plan`` (a plan's slug). Limits apply from the next request: rows
    already over a lower plan's quota stay, new ones are refused until under it. Changing to
    the current plan changes and audits nothing."""
    new_plan = plan_get(slug=plan, field="plan")
    tenant = _locked_tenant(slug)
    old = tenant.plan.slug if tenant.plan_id else ""
    if tenant.plan_id == new_plan.pk:
        return tenant
    tenant.plan = new_plan
    _changed(tenant, ["plan"])
    platform_audit("tenant.plan_change", target=slug,
                   detail={"from": old, "to": new_plan.slug})
    return tenant


@transaction.atomic
def tenant_feature_override(*, slug: str, feature: str, enabled: bool | None) -> Tenant:
    """Turn ``feature`` on (True) or off (False) for this tenant whatever its plan says, or
    drop the override (None) so that the plan decides again."""
    try:
        FEATURE_NAME(feature)
    except Exception as exc:  # django's ValidationError
        raise InvalidInput(fields={"feature": list(getattr(exc, "messages", [str(exc)]))}) \
            from None
    tenant = _locked_tenant(slug)
    overrides = dict(tenant.feature_overrides or {})
    before = overrides.get(feature)
    if enabled is None:
        overrides.pop(feature, None)
    else:
        overrides[feature] = bool(enabled)
    if overrides.get(feature) == before:
        return tenant
    tenant.feature_overrides = overrides
    _changed(tenant, ["feature_overrides"])
    platform_audit("feature.override", target=slug,
                   detail={"feature": feature, "from": before, "to": overrides.get(feature)})
    return tenant
