"""Feature flags resolve per-tenant override > plan > off, readable in one call from a tenant app;
a plan change is audited once and applies from the next request; provisioning takes a plan."""

from __future__ import annotations

import pytest
from django.db import connection

from shared_apps.audit.models import PlatformAuditEntry
from tenant_apps.core.errors import InvalidInput, NotFound
from tenant_apps.core.limits import feature_enabled
from tenants.models import Tenant
from tenants.plans.services import tenant_feature_override, tenant_plan_change


def test_flag_resolution_order_override_then_plan_then_off(on_plan, in_tenant, tenants):
    on_plan("acme", features=["reports", "exports"])
    tenant_feature_override(slug="acme", feature="exports", enabled=False)
    tenant_feature_override(slug="acme", feature="beta", enabled=True)
    with in_tenant("acme"):
        assert feature_enabled("reports")  # the plan
        assert not feature_enabled("exports")  # the override beats the plan
        assert feature_enabled("beta")  # the override alone
        assert not feature_enabled("unknown")  # neither: off
    # Dropping the override hands the decision back to the plan.
    tenant_feature_override(slug="acme", feature="exports", enabled=None)
    with in_tenant("acme"):
        assert feature_enabled("exports")
    # With an explicit tenant, from anywhere (here: public); another tenant is unaffected.
    acme = Tenant.objects.get(slug="acme")
    assert feature_enabled(acme, "beta") and feature_enabled(acme, "reports")
    assert not feature_enabled(Tenant.objects.get(slug="globex"), "beta")
    with in_tenant("globex"):
        assert not feature_enabled("beta")


def test_default_plan_features_and_public_has_none(tenants):
    globex = tenants["globex"]
    assert globex.plan.slug == "team"  # provisioned without a plan: the default one
    assert feature_enabled(globex, "webhooks") and not feature_enabled(globex, "audit_export")
    connection.set_schema_to_public()
    assert not feature_enabled("webhooks")  # outside any tenant: everything off


def test_a_plan_change_applies_from_the_next_request(on_plan, client_for):
    """The router's Tenant row carries the plan: the next request sees a change."""
    from tenant_apps.core.limits import current_limits

    on_plan("acme", products=7)
    client = client_for("acme", role="member")
    seen = {}
    from tenant_apps.core.api import throttling

    original = throttling.TenantRateThrottle.rate

    def spying_rate(self):
        seen["limits"] = current_limits()
        return original(self)

    throttling.TenantRateThrottle.rate = spying_rate
    try:
        assert client.get("/api/v1/inventory/products").status_code == 200
        assert seen["limits"].products == 7
        connection.set_schema_to_public()
        tenant_plan_change(slug="acme", plan="business")
        assert client.get("/api/v1/inventory/products").status_code == 200
        assert seen["limits"].plan == "business" and seen["limits"].products is None
    finally:
        throttling.TenantRateThrottle.rate = original


def test_plan_change_is_audited_once(tenants):
    before = PlatformAuditEntry.objects.filter(action="tenant.plan_change").count()
    tenant = tenant_plan_change(slug="initech", plan="free")
    assert tenant.plan.slug == "free"
    assert Tenant.objects.get(slug="initech").plan.slug == "free"
    tenant_plan_change(slug="initech", plan="free")  # no change: no entry
    entries = PlatformAuditEntry.objects.filter(action="tenant.plan_change")
    assert entries.count() == before + 1
    entry = entries.latest("pk")
    assert entry.target == "initech" and entry.detail == {"from": "team", "to": "free"}


def test_feature_override_is_audited_and_validated(tenants):
    before = PlatformAuditEntry.objects.filter(action="feature.override").count()
    tenant_feature_override(slug="initech", feature="beta", enabled=True)
    tenant_feature_override(slug="initech", feature="beta", enabled=True)
    assert PlatformAuditEntry.objects.filter(action="feature.override").count() == before + 1
    with pytest.raises(InvalidInput):
        tenant_feature_override(slug="initech", feature="Not A Name!", enabled=True)


def test_plan_change_refuses_unknown_plans_and_tenants(tenants):
    with pytest.raises(InvalidInput) as bad:
        tenant_plan_change(slug="acme", plan="gold")
    assert "plan" in bad.value.fields
    with pytest.raises(NotFound):
        tenant_plan_change(slug="ghost", plan="free")


def test_provisioning_takes_a_plan(scratch_tenant):
    from tenants.provisioning import tenant_provision

    tenant = scratch_tenant("planned", plan="free")
    assert tenant.plan.slug == "free"
    with pytest.raises(InvalidInput) as bad:
        tenant_provision(slug="unplanned", name="U", owner_email="o@u.test", plan="gold")
    assert "plan" in bad.value.fields
    assert not Tenant.objects.filter(slug="unplanned").exists()


def test_another_process_drops_its_cached_plans_when_the_version_moves(tenants, settings):
    """Each process caches plans; a change published in Redis reaches the others."""
    from tenants.plan_models import Plan
    from tenants.plans.limits import LimitsCache

    other = LimitsCache()  # stands for another web process
    globex = Tenant.objects.get(slug="globex")
    assert other.limits_for(globex).members == 25
    Plan.objects.filter(slug="team").update(members=26)  # no signal: the other cache is stale
    assert other.limits_for(globex).members == 25
    other._publish()  # what the changing process does after its commit
    other._checked_at = 0.0  # its next check is due
    assert other.limits_for(globex).members == 26
