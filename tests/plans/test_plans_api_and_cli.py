"""Plans, feature overrides and usage in the operator API and the CLI; both go through the
audited services."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformAuditEntry
from tenants.models import Tenant

BASE = "/api/operator/v1"


@pytest.fixture
def operator(db):
    user = User.objects.create_user(email="plans-ops@platform.test", password="ops-pass-123",
                                    is_staff=True)
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def test_plans_are_listed_with_tenant_counts(operator):
    plans = {p["slug"]: p for p in operator.get(f"{BASE}/plans").json()}
    assert {"free", "team", "business"} <= set(plans)
    assert plans["team"]["is_default"] and plans["team"]["tenant_count"] >= 3
    assert plans["free"]["products"] == 100 and plans["business"]["products"] is None


def test_change_a_tenant_plan_through_the_api(operator):
    shown = operator.get(f"{BASE}/tenants/acme/plan").json()
    assert shown["plan"] == "team" and "webhooks" in shown["features"]
    changed = operator.put(f"{BASE}/tenants/acme/plan", {"plan": "free"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["plan"] == "free" and changed.json()["limits"]["products"] == 100
    entry = PlatformAuditEntry.objects.filter(action="tenant.plan_change").latest("pk")
    assert entry.actor == "plans-ops@platform.test" and entry.target == "acme"
    bad = operator.put(f"{BASE}/tenants/acme/plan", {"plan": "gold"}, format="json")
    assert bad.status_code == 400 and "plan" in bad.json()["error"]["fields"]
    extra = operator.put(f"{BASE}/tenants/acme/plan", {"plan": "team", "x": 1}, format="json")
    assert extra.status_code == 400
    missing = operator.put(f"{BASE}/tenants/ghost/plan", {"plan": "team"}, format="json")
    assert missing.status_code == 404


def test_feature_overrides_through_the_api(operator):
    on = operator.put(f"{BASE}/tenants/globex/features/beta", {"enabled": True}, format="json")
    assert on.status_code == 200 and "beta" in on.json()["features"]
    off = operator.put(f"{BASE}/tenants/globex/features/webhooks", {"enabled": False},
                       format="json")
    assert "webhooks" not in off.json()["features"]
    assert off.json()["feature_overrides"] == {"beta": True, "webhooks": False}
    back = operator.delete(f"{BASE}/tenants/globex/features/webhooks")
    assert "webhooks" in back.json()["features"]
    bad = operator.put(f"{BASE}/tenants/globex/features/Bad!", {"enabled": True},
                       format="json")
    assert bad.status_code == 400


def test_usage_through_the_api(operator):
    empty = operator.get(f"{BASE}/tenants/initech/usage").json()
    assert empty["history"] == [] or empty["latest"] is not None
    from tenants.plans.collect import usage_collect

    usage_collect(tenants=[Tenant.objects.get(slug="initech")])
    usage = operator.get(f"{BASE}/tenants/initech/usage?days=7").json()
    assert usage["tenant"] == "initech" and usage["latest"]["schema_bytes"] > 0
    assert "inventory.products" in usage["latest"]["rows"]
    assert operator.get(f"{BASE}/tenants/initech/usage?days=0").status_code == 400
    assert operator.get(f"{BASE}/tenants/initech/usage?days=x").status_code == 400
    assert operator.get(f"{BASE}/tenants/ghost/usage").status_code == 404


def test_plans_api_is_for_operators_only(db, client_for):
    assert APIClient(HTTP_HOST="localhost").get(f"{BASE}/plans").status_code == 401
    assert client_for("acme", role="owner").get(f"{BASE}/plans").status_code == 404


def _run(*args) -> str:
    out = StringIO()
    call_command("tenant", *args, stdout=out)
    return out.getvalue()


def test_cli_plans_plan_feature_and_usage(tenants):
    assert "team *" in _run("plans")
    shown = _run("plan", "initech")
    assert "Plan: team" in shown and "products: 25,000" in shown
    changed = _run("plan", "initech", "business")
    assert "is on plan 'business'" in changed and "products: unlimited" in changed
    entry = PlatformAuditEntry.objects.filter(action="tenant.plan_change").latest("pk")
    assert entry.actor.startswith("cli:") and entry.target == "initech"
    assert "beta" in _run("feature", "initech", "beta", "on")
    assert "beta=on" in _run("plan", "initech")
    usage = _run("usage", "initech", "--collect")
    assert "members:" in usage and "storage:" in usage and "API REQUESTS" in usage
    with pytest.raises(CommandError, match="Unknown plan"):
        _run("plan", "initech", "gold")
    with pytest.raises(CommandError, match="No tenant"):
        _run("usage", "ghost")
