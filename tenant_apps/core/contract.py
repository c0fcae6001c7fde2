"""The tenant-app contract: what a feature app declares so that the platform wires it in.

A feature app (tables in every tenant schema) sets ``contract`` on its ``AppConfig``::

    class InventoryConfig(AppConfig):
        name = "tenant_apps.inventory"
        label = "inventory"
        contract = TenantAppContract(
            prefix="inventory",
            api_urls="tenant_apps.inventory.api.urls",
            web_urls="tenant_apps.inventory.web.urls",
            nav=(NavEntry("Inventory", "inventory:products"),),
            demo_seeder="tenant_apps.inventory.demo.seed",
            periodic_jobs=(PeriodicJob("inventory-low-stock", "inventory.check_low_stock",
                                       {"minute": 30, "hour": 5}),),
            usage_counters={"products": "inventory.Product"},
        )

Everything that used to list apps by hand reads :func:`tenant_app_contracts` instead: the tenant
URL map (``/api/v1/<prefix>/`` and ``/<prefix>/``, namespace = the app's label), the navigation,
``manage.py seed_demo``, Celery beat (each periodic job fanned out to every active tenant), the
operators' usage figures and the isolation suite. Adding an app is its package plus one line in
``TENANT_APPS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.module_loading import import_string

from tenant_apps.core.roles import Role

_PREFIX = re.compile(r"^([a-z][a-z0-9-]*)?$")


@dataclass(frozen=True)
class NavEntry:
    """A link in the tenant web app's navigation, shown to ``min_role`` and above."""

    label: str
    url_name: str  # namespaced: "<app label>:<page name>"
    min_role: str = Role.VIEWER
    description: str = ""  # a line on the home page


@dataclass(frozen=True)
class PeriodicJob:
    """A task run on a schedule once in every active tenant's schema (the beat sends one
    fan-out; the fan-out sends ``task`` to each tenant). ``schedule`` is crontab's keywords."""

    name: str
    task: str
    schedule: dict[str, int | str]
    # True: the fan-out sends ``task`` only to the tenants marked as having work for it
    # (tenant_apps.core.services.work_marks), plus every tenant once per full pass. For jobs
    # run every minute whose work is rare: at 10,000 tenants, 10,000 tasks a minute otherwise.
    marked_only: bool = False


@dataclass(frozen=True)
class TenantAppContract:
    prefix: str  # URL segment: /api/v1/<prefix>/... and /<prefix>/...; "" only for the core
    api_urls: str | None = None  # module with ``urlpatterns`` (DRF routes)
    web_urls: str | None = None  # module with ``urlpatterns`` (pages)
    nav: tuple[NavEntry, ...] = ()
    demo_seeder: str | None = None  # dotted path of a callable, run inside the tenant's schema
    periodic_jobs: tuple[PeriodicJob, ...] = ()
    usage_counters: dict[str, str] = field(default_factory=dict)  # name -> "app_label.Model"
    # Dotted path of ``f(request) -> (template, context)``: the app's panel on the dashboard.
    dashboard: str | None = None
    # Set by the registry from the AppConfig: the namespace of the app's URLs.
    label: str = ""

    def seeder(self) -> Callable[[], object] | None:
        if self.demo_seeder is None:
            return None
        try:
            return import_string(self.demo_seeder)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"{self.label}: demo_seeder {self.demo_seeder!r} does not resolve ({exc})."
            ) from exc

    def usage_models(self) -> dict[str, type[models.Model]]:
        try:
            return {name: apps.get_model(label)
                    for name, label in self.usage_counters.items()}
        except (LookupError, ValueError) as exc:
            raise ImproperlyConfigured(f"{self.label}: usage counter: {exc}") from exc


def _checked(label: str, contract: TenantAppContract) -> TenantAppContract:
    if not isinstance(contract, TenantAppContract):
        raise ImproperlyConfigured(f"{label}: AppConfig.contract must be a TenantAppContract.")
    if not _PREFIX.match(contract.prefix) or (contract.prefix == "" and label != "core"):
        raise ImproperlyConfigured(
            f"{label}: prefix {contract.prefix!r} must be a lowercase URL segment.")
    for entry in contract.nav:
        if not entry.url_name.startswith(f"{label}:"):
            raise ImproperlyConfigured(
                f"{label}: nav entry {entry.url_name!r} must name one of its own pages "
                f"({label}:<name>).")
    return TenantAppContract(**{**contract.__dict__, "label": label})


def registered_app_configs() -> list:
    """The installed apps that declare a contract, in ``INSTALLED_APPS`` order."""
    return [config for config in apps.get_app_configs()
            if getattr(config, "contract", None) is not None]


def tenant_app_contracts() -> list[TenantAppContract]:
    """The contracts of the installed tenant apps, in ``INSTALLED_APPS`` order."""
    found = [_checked(config.label, config.contract) for config in registered_app_configs()]
    prefixes = [c.prefix for c in found]
    duplicates = {p for p in prefixes if prefixes.count(p) > 1}
    if duplicates:
        raise ImproperlyConfigured(f"Two tenant apps claim the URL prefix {sorted(duplicates)}.")
    return found


def nav_entries(role: str | None) -> list[NavEntry]:
    """The navigation a user of ``role`` sees."""
    from tenant_apps.core.roles import role_at_least

    if role is None:
        return []
    return [entry for contract in tenant_app_contracts() for entry in contract.nav
            if role_at_least(role, entry.min_role)]


def periodic_jobs() -> list[PeriodicJob]:
    return [job for contract in tenant_app_contracts() for job in contract.periodic_jobs]
