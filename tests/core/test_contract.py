"""The tenant-app contract: URL maps, navigation, seeding, beat and usage read the registry, so
registering an app is the only edit they need (tests/contract_probe is such an app)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import clear_url_caches, resolve

from saas_platform.celery import beat_schedule
from tenant_apps.core import contract as registry
from tenant_apps.core.contract import (
    NavEntry,
    TenantAppContract,
    nav_entries,
    periodic_jobs,
    tenant_app_contracts,
)
from tests.contract_probe import CONTRACT, SEEDED


@pytest.fixture
def probe_registered(monkeypatch):
    """tests.contract_probe added to the installed apps, as one TENANT_APPS line would."""
    real = registry.registered_app_configs
    probe = SimpleNamespace(label="probe", contract=CONTRACT)
    monkeypatch.setattr(registry, "registered_app_configs", lambda: [*real(), probe])
    import saas_platform.urls_tenant as urls_tenant

    clear_url_caches()
    importlib.reload(urls_tenant)
    yield
    monkeypatch.undo()
    clear_url_caches()
    importlib.reload(urls_tenant)


def test_the_example_apps_are_registered_with_their_prefixes():
    prefixes = {c.label: c.prefix for c in tenant_app_contracts()}
    assert prefixes == {"core": "", "inventory": "inventory", "attendance": "attendance",
                        "webhooks": "webhooks"}


def test_a_registered_app_gets_its_urls_nav_seeding_beat_and_usage(probe_registered, client_for,
                                                                   in_tenant):
    assert resolve("/api/v1/probe/things", urlconf="saas_platform.urls_tenant").url_name == \
        "things"
    response = client_for("acme", role="viewer").get("/api/v1/probe/things")
    assert response.status_code == 200 and response.json() == {"probe": "acme"}
    home = client_for("acme", role="viewer").get("/")
    assert b'href="/probe/"' in home.content and b"a registered app" in home.content

    assert "probe-nightly" in beat_schedule()
    assert beat_schedule()["probe-nightly"]["args"] == ("probe.nightly",)
    assert [job.name for job in periodic_jobs()][-1] == "probe-nightly"

    SEEDED.clear()
    from django.db import connection

    connection.set_schema_to_public()
    call_command("seed_demo", stdout=__import__("io").StringIO())
    assert sorted(SEEDED) == ["t_acme", "t_globex"]


def test_nav_follows_the_minimum_role(monkeypatch):
    admin_only = TenantAppContract(prefix="admin-thing",
                                   nav=(NavEntry("Admin thing", "admin_thing:home",
                                                 min_role="admin"),))
    real = registry.registered_app_configs
    monkeypatch.setattr(registry, "registered_app_configs", lambda: [
        *real(), SimpleNamespace(label="admin_thing", contract=admin_only)])
    assert "Admin thing" not in [e.label for e in nav_entries("member")]
    assert "Admin thing" in [e.label for e in nav_entries("admin")]
    assert nav_entries(None) == []


@pytest.mark.parametrize("contract,message", [
    (TenantAppContract(prefix="inventory"), "claim the URL prefix"),
    (TenantAppContract(prefix="Bad Prefix"), "lowercase URL segment"),
    (TenantAppContract(prefix="x", nav=(NavEntry("X", "inventory:home"),)), "its own pages"),
])
def test_a_contract_that_cannot_be_wired_is_refused(monkeypatch, contract, message):
    real = registry.registered_app_configs
    monkeypatch.setattr(registry, "registered_app_configs", lambda: [
        *real(), SimpleNamespace(label="x", contract=contract)])
    with pytest.raises(ImproperlyConfigured, match=message):
        tenant_app_contracts()


def test_a_seeder_that_does_not_resolve_is_an_error_not_a_skip():
    contract = TenantAppContract(prefix="x", demo_seeder="tenant_apps.nowhere.seed", label="x")
    with pytest.raises(ImproperlyConfigured, match="does not resolve"):
        contract.seeder()


def test_usage_counters_name_real_models():
    for contract in tenant_app_contracts():
        assert all(model._meta.db_table for model in contract.usage_models().values())
    bad = TenantAppContract(prefix="x", usage_counters={"n": "nowhere.Model"}, label="x")
    with pytest.raises(ImproperlyConfigured):
        bad.usage_models()


def test_operators_see_each_apps_usage_counters(db, in_tenant):
    from django.db import connection

    from shared_apps.accounts.models import User
    from tenants.usage import tenant_usage

    with in_tenant("globex"):
        members = User.objects.count()
    connection.set_schema_to_public()
    usage = tenant_usage(slug="globex")
    assert usage["core.members"] == members
    assert {"inventory.products", "attendance.employees", "core.api_keys"} <= set(usage)
