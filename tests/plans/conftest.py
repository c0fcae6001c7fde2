from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection


@pytest.fixture
def on_plan(db) -> Callable:
    """``on_plan("acme", products=2)``: a new plan with these limits (others unlimited), with the
    tenant moved onto it through the service; returns the plan."""
    from tenants.plan_models import Plan
    from tenants.plans.services import tenant_plan_change

    made = []

    def put(slug: str, *, features: list[str] | None = None, **limits):
        plan = Plan.objects.create(slug=f"test-{len(made)}-{slug}", name="Test plan",
                                   features=features or [], **limits)
        made.append(plan)
        connection.set_schema_to_public()
        tenant_plan_change(slug=slug, plan=plan.slug)
        return plan

    return put


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Rolled-back test transactions never publish their changes: start each test clean."""
    from tenants.plans.limits import limits_cache

    limits_cache.clear_local()
    yield
    limits_cache.clear_local()
