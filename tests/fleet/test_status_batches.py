"""The fleet's migration status is read in batches of tenants (one statement's locks stay
bounded: a single statement over 10,000 tenants ran out of PostgreSQL's lock table), and the
batches add up to exactly the fleet: every live tenant once, whatever the batch size."""

import pytest
from django.db import connection

from tenants.fleet import status
from tenants.models import Tenant


@pytest.mark.parametrize("batch", [1, 2, 3])
def test_batches_cover_every_tenant_once(db, monkeypatch, batch) -> None:
    whole = status.fleet_status()
    live = set(Tenant.objects.exclude(state__in=["archived", "provisioning"])
               .values_list("schema_name", flat=True))
    assert len(live) >= 3, "the test database's tenants"
    queries: list[str] = []
    monkeypatch.setattr(status, "BATCH", batch)
    with connection.execute_wrapper(lambda execute, sql, *a: queries.append(sql)
                                    or execute(sql, *a)):
        batched = status.fleet_status()
    assert sorted(batched, key=repr) == sorted(whole, key=repr)
    tenants = [s.schema_name for s in batched if s.kind == "tenant"]
    assert sorted(tenants) == sorted(live) and len(tenants) == len(set(tenants))
    probes = [q for q in queries if "saas_migrations_probe(" in q and "LIMIT" in q]
    assert len(probes) == len(live) // batch + 1  # the last batch is short (or empty)


def test_only_the_named_tenants(db) -> None:
    some = sorted(Tenant.objects.exclude(state__in=["archived", "provisioning"])
                  .values_list("schema_name", flat=True))[:2]
    statuses = status.fleet_status(schemas=some)
    assert sorted(s.schema_name for s in statuses if s.kind == "tenant") == some
    assert {s.kind for s in statuses} >= {"public", "template"}
