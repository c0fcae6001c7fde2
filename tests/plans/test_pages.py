"""The plans in the console (the Plans section, a tenant's "Plan & usage" panel and its forms)
and in the tenant's workspace settings, where a tenant sees its own use only."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client
from django.urls import set_urlconf

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformAuditEntry
from shared_apps.console.plan_pages import tenant_plan_panel
from tenants.models import Tenant


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _operator() -> Client:
    user = User.objects.create_user(email="plans-console@platform.test",
                                    password="a-long-pass-123", is_staff=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def test_plans_section_lists_plans_with_tenant_counts(tenants):
    page = _operator().get("/console/plans/")
    assert page.status_code == 200
    text = _text(page)
    assert "Free" in text and "Team" in text and "Business" in text and "default" in text
    assert "25,000" in text  # team's products
    assert Client(HTTP_HOST="localhost").get("/console/plans/").status_code == 302


def test_tenant_panel_changes_the_plan_and_overrides_audited(tenants, rf):
    operator = _operator()
    request = rf.get("/console/tenants/globex/", HTTP_HOST="localhost")
    set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)  # as the routing middleware sets it
    try:
        panel = tenant_plan_panel(request, Tenant.objects.get(slug="globex"))
    finally:
        set_urlconf(None)
    assert "Plan &amp; usage" in panel and "Change plan" in panel
    changed = operator.post("/console/plans/tenants/globex/plan",
                            {"plan": "free", "next": "/console/plans/"})
    assert changed.status_code == 302 and changed["Location"] == "/console/plans/"
    assert Tenant.objects.get(slug="globex").plan.slug == "free"
    assert PlatformAuditEntry.objects.filter(action="tenant.plan_change",
                                             target="globex").count() == 1
    operator.post("/console/plans/tenants/globex/features",
                  {"feature": "beta", "value": "on", "next": "https://evil.example/"})
    assert Tenant.objects.get(slug="globex").feature_overrides == {"beta": True}
    bad = operator.post("/console/plans/tenants/globex/plan", {"plan": "gold"})
    assert bad.status_code == 302  # back, with the error as a message
    assert Tenant.objects.get(slug="globex").plan.slug == "free"
    assert _operator_get_405(operator)


def _operator_get_405(operator) -> bool:
    return operator.get("/console/plans/tenants/globex/plan").status_code == 405


def test_workspace_settings_show_the_tenants_own_limits_and_use(on_plan, client_for,
                                                               in_tenant):
    from tenant_apps.inventory.models import Product

    with in_tenant("acme"):
        acme_products = Product.objects.count()
    with in_tenant("globex"):
        n = 0
        while Product.objects.count() <= acme_products + 2:
            Product.objects.create(sku=f"GLX-{n}", name="Globex only", unit="pcs")
            n += 1
        globex_products = Product.objects.count()
    on_plan("acme", products=acme_products + 40)
    owner = client_for("acme", role="owner")
    text = _text(owner.get("/settings/"))
    assert "Plan and limits" in text
    assert f"Products {acme_products} {acme_products + 40}" in text
    assert f"Products {globex_products} " not in text  # globex's rows are not acme's use
    # Members below admin never reach the settings page.
    assert client_for("acme", role="member").get("/settings/").status_code == 403
