"""The pool of ready schemas (tenants/fleet/pool.py): a sign-up claims one in one short transaction;
concurrent sign-ups never get the same schema; a pool made for other migrations is rebuilt; an
empty pool falls back to copying the template."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test.utils import override_settings
from django_tenants.utils import schema_context, schema_exists

from shared_apps.accounts.models import User
from tenants.fleet.pool import pool_drop_stale, pool_fill
from tenants.models import PoolSchema, Tenant
from tenants.provisioning import tenant_provision
from tenants.services import tenant_delete


@pytest.fixture
def empty_pool(committed_db):
    def empty() -> None:
        connection.set_schema_to_public()
        PoolSchema.objects.update(migrations_hash="gone")
        pool_drop_stale()

    empty()
    yield
    empty()


def test_concurrent_signups_never_get_the_same_schema(empty_pool):
    with override_settings(TENANT_POOL_SIZE=3):
        assert pool_fill() == 3
        pool_names = set(PoolSchema.objects.values_list("schema_name", flat=True))
        slugs = [f"rush{i}" for i in range(6)]
        barrier = threading.Barrier(len(slugs))
        results, errors = {}, []

        def sign_up(slug: str) -> None:
            try:
                barrier.wait()
                results[slug] = tenant_provision(slug=slug, name=slug,
                                                 owner_email=f"o@{slug}.example")
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=sign_up, args=(s,)) for s in slugs]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            assert errors == []
            assert sum(ctx.from_pool for ctx in results.values()) == 3  # the pool, no more
            assert not any(schema_exists(name) for name in pool_names)  # each renamed once
            assert PoolSchema.objects.count() == 0
            for slug, ctx in results.items():
                tenant = Tenant.objects.get(slug=slug)
                assert tenant.state == "active" and schema_exists(tenant.schema_name)
                assert tenant.domains.get(is_primary=True).domain == f"{slug}.localhost"
                assert ctx.invitation_url.startswith(f"http://{slug}.localhost/invitations/")
                with schema_context(tenant.schema_name):
                    assert list(User.objects.values_list("email", "role")) == [
                        (f"o@{slug}.example", "owner")]
                    assert not User.objects.get().has_usable_password()
        finally:
            connection.set_schema_to_public()
            for slug in slugs:
                if Tenant.objects.filter(slug=slug).exists():
                    tenant_delete(slug=slug, force=True)


def test_a_pool_made_for_other_migrations_is_rebuilt_and_never_claimed(empty_pool):
    with override_settings(TENANT_POOL_SIZE=1):
        pool_fill()
        old = PoolSchema.objects.get()
        PoolSchema.objects.update(migrations_hash="an-older-release")
        try:
            ctx = tenant_provision(slug="notstale", name="N", owner_email="o@n.example")
            assert not ctx.from_pool  # copied from the template instead
            assert schema_exists(old.schema_name)
            assert pool_fill() == 1
            assert not schema_exists(old.schema_name)
            assert PoolSchema.objects.get().schema_name != old.schema_name
        finally:
            connection.set_schema_to_public()
            tenant_delete(slug="notstale", force=True)
