"""Plans, quotas, feature flags and usage: the control plane's side (docs/plans.md).

The models (Plan, TenantUsage) are in tenants/plan_models.py, beside tenants/models.py.

``limits``    the provider that answers ``tenant_apps.core.limits`` for the current tenant:
              plans and tenants' overrides cached in process, invalidated through Redis.
``services``  change a tenant's plan, set a per-tenant feature override (audited).
``selectors`` plans with their tenant counts, a tenant's usage history.
``collect``   the usage collector (a periodic fan-out job).
"""
