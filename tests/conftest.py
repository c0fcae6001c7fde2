"""Fixtures for the whole suite, against a real PostgreSQL and Redis.

Three tenants (acme, globex, initech) are provisioned once per session, through the real
pipeline, into the test database. Ordinary tests run inside a transaction that is rolled back
(pytest-django's ``db``), in whichever schema they select. Tests that need committed data
(Celery workers, concurrent connections, a second process) use ``committed_db`` and clean up
after themselves; pytest-django's ``transactional_db`` is not used because its flush would empty
the public tenant registry.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

SEEDED_TENANTS = ("acme", "globex", "initech")
_counter = itertools.count(1)


def tenant_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


@pytest.fixture(scope="session", autouse=True)
def _tenant_aware_allowed_hosts(django_test_environment):
    """Django's test set-up copies ALLOWED_HOSTS into a plain list (adding "testserver"), which
    would freeze out the custom domains; put the registry-aware list back."""
    from saas_platform.settings.hosts import TenantAwareAllowedHosts

    settings.ALLOWED_HOSTS = TenantAwareAllowedHosts(
        [h for h in list.__iter__(settings.ALLOWED_HOSTS)])


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """The test database, migrated, with the template schema and the seeded tenants.

    Replaces pytest-django's fixture, which sets up no database when no collected test is marked
    for one (a module that only uses ``committed_db``, say) and would then let the suite write
    to the real database."""
    from django.test.utils import setup_databases, teardown_databases

    from tenants.provisioning import tenant_provision
    from tenants.schema.template import template_ensure

    with django_db_blocker.unblock():
        db_config = setup_databases(verbosity=0, interactive=False, aliases={"default"},
                                    serialized_aliases=set())
        assert connection.settings_dict["NAME"].startswith("test_")
        template_ensure()
        for slug in SEEDED_TENANTS:
            tenant_provision(slug=slug, name=slug.capitalize(),
                             owner_email=f"owner@{slug}.test", owner_password="owner-pass-123")
        connection.set_schema_to_public()
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        teardown_databases(db_config, verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_routing_and_public_schema():
    """Each test starts in public with an empty route cache (rolled-back test transactions
    never fire the on_commit invalidation)."""
    from tenants.routing import host_router

    host_router.clear_local()
    connection.set_schema_to_public()
    yield
    host_router.clear_local()
    connection.set_schema_to_public()


@pytest.fixture
def tenants(db) -> dict:
    from tenants.models import Tenant

    return {t.slug: t for t in Tenant.objects.filter(slug__in=SEEDED_TENANTS)}


@pytest.fixture
def make_user(db) -> Callable:
    """``make_user("acme", role="admin")``: a user in that tenant's schema."""
    from shared_apps.accounts.models import User

    def make(slug: str, role: str = "member", email: str | None = None,
             password: str = "pass-word-123", **extra):
        email = email or f"{role}{next(_counter)}@{slug}.test"
        with schema_context(f"t_{slug.replace('-', '_')}"):
            return User.objects.create_user(email=email, password=password, role=role, **extra)

    return make


class TenantClient(APIClient):
    """An API client bound to one tenant's host."""

    def __init__(self, slug: str, **defaults):
        super().__init__(HTTP_HOST=tenant_host(slug), **defaults)
        self.slug = slug
        self.user = None

    def login_as(self, user) -> TenantClient:
        # The session row must be written in the tenant's schema, as a real login would.
        with schema_context(f"t_{self.slug.replace('-', '_')}"):
            self.force_login(user)
        connection.set_schema_to_public()
        self.user = user
        return self


@pytest.fixture
def client_for(db, make_user) -> Callable:
    """``client_for("acme", role="admin")``: an API client signed in to acme with that role;
    ``client_for("acme", role=None)`` is anonymous."""

    def make(slug: str, role: str | None = "owner", **user_extra) -> TenantClient:
        client = TenantClient(slug)
        if role is not None:
            client.login_as(make_user(slug, role=role, **user_extra))
        return client

    return make


@pytest.fixture
def api_key_for(db, make_user) -> Callable:
    """``api_key_for("acme", scope="read_write")``: (client sending the key, raw key)."""
    from tenant_apps.core.services.api_keys import api_key_create

    def make(slug: str, scope: str = "read_write", role: str = "admin"):
        user = make_user(slug, role=role)
        with schema_context(f"t_{slug.replace('-', '_')}"):
            created = api_key_create(name="test key", scope=scope, created_by=user)
        connection.set_schema_to_public()
        client = TenantClient(slug, HTTP_AUTHORIZATION=f"Api-Key {created.raw_key}")
        return client, created.raw_key

    return make


@pytest.fixture
def in_tenant() -> Callable:
    """``with in_tenant("acme"): ...`` runs ORM code in that tenant's schema."""

    def enter(slug: str):
        return schema_context(f"t_{slug.replace('-', '_')}")

    return enter


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Database access outside the per-test transaction: writes are committed and visible to
    other connections (workers, threads). The test must clean up what it creates."""
    with django_db_blocker.unblock():
        assert connection.settings_dict["NAME"].startswith("test_")
        yield
        connection.set_schema_to_public()


@pytest.fixture
def committed_tenant_changes(committed_db) -> Iterator[None]:
    """``committed_db`` for tests that make, archive, restore and delete tenants: afterwards, the
    tenants, domains and schemas the test left are removed. Modules whose tests write rows and
    then drop or alter their tables use it instead of ``db`` on Citus, where the workers keep
    deferred foreign-key checks until COMMIT and a DROP in the same transaction fails ("pending
    trigger events"); production code commits in between, as these tests then do."""
    from tenants.models import Domain, Tenant
    from tenants.services import tenant_delete

    def schemas() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")
            return {row[0] for row in cursor.fetchall()}

    tenants_before = set(Tenant.objects.values_list("slug", flat=True))
    domains_before = set(Domain.objects.values_list("pk", flat=True))
    schemas_before = schemas()
    yield
    connection.set_schema_to_public()
    for slug in Tenant.objects.exclude(slug__in=tenants_before).values_list("slug", flat=True):
        tenant_delete(slug=slug, force=True)
    Domain.objects.exclude(pk__in=domains_before).delete()
    with connection.cursor() as cursor:
        for schema in schemas() - schemas_before:
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def scratch_tenant(committed_db) -> Iterator[Callable]:
    """``scratch_tenant("slug")`` provisions a committed tenant, deleted after the test."""
    from tenants.models import Tenant
    from tenants.provisioning import tenant_provision
    from tenants.services import tenant_delete

    created: list[str] = []

    def make(slug: str | None = None, **kwargs):
        slug = slug or f"scratch{next(_counter)}"
        kwargs.setdefault("name", slug.capitalize())
        kwargs.setdefault("owner_email", f"owner@{slug}.test")
        kwargs.setdefault("owner_password", "owner-pass-123")
        ctx = tenant_provision(slug=slug, **kwargs)
        created.append(slug)
        return ctx.tenant

    yield make
    connection.set_schema_to_public()
    for slug in created:
        if Tenant.objects.filter(slug=slug).exists():
            tenant_delete(slug=slug, force=True)


@pytest.fixture
def celery_worker(committed_db):
    """A real Celery worker in a thread (its own database connection), consuming this run's own
    queue on the real Redis broker."""
    from celery.contrib.testing.worker import start_worker

    from saas_platform.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=30):
        yield
