"""Tenants on a real Citus cluster (coordinator + 2 workers): distributed schemas, the six
differences from one PostgreSQL (docs/scaling.md) one test each, placement and online moves."""

from __future__ import annotations

import io

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from tenants.distribution import is_distributed, placements, schema_distribute, worker_nodes

pytestmark = pytest.mark.citus


def _tables(schema: str) -> tuple[int, int]:
    """(tables in the schema, of which Citus-distributed)."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*), count(p.logicalrelid)
                            FROM pg_class c LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
                           WHERE c.relnamespace = quote_ident(%s)::regnamespace
                             AND c.relkind = 'r'""", [schema])
        return cursor.fetchone()


# -- distributed schemas -------------------------------------------------------------------------
def test_template_and_every_tenant_are_distributed_schemas_spread_over_the_workers(tenants):
    schemas = [settings.TENANT_TEMPLATE_SCHEMA, *(t.schema_name for t in tenants.values())]
    for schema in schemas:
        assert is_distributed(schema), schema
        total, distributed = _tables(schema)
        assert total > 10 and distributed == total, (schema, total, distributed)
    where = placements()
    assert {where[s].node for s in schemas} == set(worker_nodes())
    assert len(worker_nodes()) == 2


# 1. DDL inside DO blocks / PL/pgSQL is not distributed: django-tenants' clone_schema creates
#    every table that way. Schemas are made locally and distributed whole afterwards.
def test_1_a_tenant_cloned_by_plpgsql_has_every_table_distributed(scratch_tenant):
    tenant = scratch_tenant(schema_method="clone")
    total, distributed = _tables(tenant.schema_name)
    assert total > 10 and distributed == total
    assert is_distributed(tenant.schema_name)


@pytest.mark.parametrize("method", ["replay", "migrate"])
def test_1_every_provisioning_method_gives_a_distributed_schema(scratch_tenant, method):
    tenant = scratch_tenant(schema_method=method)
    total, distributed = _tables(tenant.schema_name)
    assert distributed == total > 10


# 2. SET CONSTRAINTS ALL IMMEDIATE does not reach the workers (Citus #2234).
def test_2_check_constraints_finds_a_dangling_foreign_key_in_a_tenant(db, tenants):
    with schema_context(tenants["acme"].schema_name):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO accounts_user_groups (user_id, group_id) "
                           "VALUES (987654321, 987654321)")
        with pytest.raises(IntegrityError, match="violates foreign key constraint"):
            connection.check_constraints()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_user_groups WHERE user_id = 987654321")
        connection.check_constraints()  # clean again: no error


# 3. A deferred FK violation found by a worker at COMMIT is an InternalError (XX000).
def test_3_a_deferred_violation_at_commit_is_an_integrity_error(committed_db):
    assert not connection.in_atomic_block  # a real COMMIT, not a savepoint
    with schema_context("t_globex"):
        with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute("INSERT INTO accounts_user_groups (user_id, group_id) "
                           "VALUES (987654321, 987654321)")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM accounts_user_groups WHERE user_id = 987654321")
            assert cursor.fetchone()[0] == 0


# 4. Django's sequence reset (loaddata, sqlsequencereset) is `SELECT setval(...) FROM table`.
def test_4_sequence_reset_works_on_a_tenant_table(db, tenants):
    with schema_context(tenants["acme"].schema_name):
        Group.objects.create(id=70000, name="imported")
        statements = connection.ops.sequence_reset_sql(no_style(), [Group])
        assert statements and statements[0].startswith("DO")
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        assert Group.objects.create(name="next").id == 70001


def test_4_loaddata_resets_sequences_on_citus(db, tenants, tmp_path):
    fixture = tmp_path / "groups.json"
    fixture.write_text('[{"model": "auth.group", "pk": 80000, "fields": {"name": "fixture"}}]')
    with schema_context(tenants["initech"].schema_name):
        call_command("loaddata", str(fixture), stdout=io.StringIO())
        assert Group.objects.create(name="after-fixture").id == 80001


# 5. Tenant tables may reference a public table only once it is a reference table.
def test_5_public_tables_a_schema_references_become_reference_tables(committed_db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE public.citus_probe_region (id bigint PRIMARY KEY)")
        cursor.execute("SET citus.enable_schema_based_sharding TO off")
        cursor.execute("CREATE SCHEMA t_citus_probe")
        cursor.execute("RESET citus.enable_schema_based_sharding")
        cursor.execute("CREATE TABLE t_citus_probe.shop (id bigint PRIMARY KEY, region_id "
                       "bigint REFERENCES public.citus_probe_region (id))")
    try:
        schema_distribute("t_citus_probe")
        assert is_distributed("t_citus_probe")
        with connection.cursor() as cursor:
            cursor.execute("SELECT partmethod FROM pg_dist_partition WHERE logicalrelid = "
                           "'public.citus_probe_region'::regclass")
            assert cursor.fetchone()[0] == "n"  # a reference table: a copy on every node
            cursor.execute("INSERT INTO public.citus_probe_region VALUES (1)")
            cursor.execute("INSERT INTO t_citus_probe.shop VALUES (1, 1)")
            with pytest.raises(IntegrityError), transaction.atomic():
                cursor.execute("INSERT INTO t_citus_probe.shop VALUES (2, 99)")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA t_citus_probe CASCADE")
            cursor.execute("DROP TABLE public.citus_probe_region")


# 6. CREATE DATABASE is not propagated: the test database exists on every node.
def test_6_the_test_database_is_on_every_node_with_the_extension_and_the_workers(db):
    name = connection.settings_dict["NAME"]
    assert name.startswith("test_")
    with connection.cursor() as cursor:
        cursor.execute("SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0")
        workers = cursor.fetchall()
    assert len(workers) == 2
    for host, port in workers:
        with psycopg.connect(host=host, port=port, dbname=name,
                             user=connection.settings_dict["USER"] or "postgres") as worker:
            assert worker.execute("SELECT extversion FROM pg_extension WHERE extname = 'citus'"
                                  ).fetchone()


# 7. ADD COLUMN with an unnamed constraint (Django's CHECK of a positive integer, its UNIQUE) is
#    refused on a distributed table: a fleet migration adding such a field would fail.
def test_7_a_migration_adds_checked_and_unique_columns_to_a_distributed_table(committed_db):
    from django.apps.registry import Apps
    from django.db import models

    from tenants.distribution import local_schema_creation

    class Probe(models.Model):  # noqa: DJ008 (a throwaway model)
        id = models.BigAutoField(primary_key=True)

        class Meta:
            app_label, apps, db_table = "citus_probe", Apps(), "probe"

    count = models.PositiveIntegerField(default=0)
    count.set_attributes_from_name("count")
    code = models.CharField(max_length=10, unique=True, null=True)
    code.set_attributes_from_name("code")
    try:
        with local_schema_creation(), connection.cursor() as cursor:
            cursor.execute("CREATE SCHEMA t_citus_addcol")
        with schema_context("t_citus_addcol"):
            with connection.schema_editor() as editor:
                editor.create_model(Probe)
            schema_distribute("t_citus_addcol")
            with connection.schema_editor() as editor:
                editor.add_field(Probe, count)
                editor.add_field(Probe, code)
            with connection.cursor() as cursor:
                cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = "
                               "'t_citus_addcol.probe'::regclass AND contype IN ('c', 'u')")
                assert {row[0] for row in cursor.fetchall()} == {"probe_count_check",
                                                                 "probe_code_key"}
                cursor.execute("INSERT INTO probe (count, code) VALUES (1, 'a')")
                with pytest.raises(IntegrityError, match="probe_count_check"), \
                        transaction.atomic():
                    cursor.execute("INSERT INTO probe (count) VALUES (-1)")
                with pytest.raises(IntegrityError, match="probe_code_key"), transaction.atomic():
                    cursor.execute("INSERT INTO probe (count, code) VALUES (2, 'a')")
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA IF EXISTS t_citus_addcol CASCADE")


# -- operators: placement and moves ------------------------------------------------------------
def test_tenant_nodes_lists_each_tenants_node_and_per_node_totals(db, tenants):
    out = io.StringIO()
    call_command("tenant", "nodes", stdout=out)
    text = out.getvalue()
    where = placements()
    for tenant in tenants.values():
        line = next(x for x in text.splitlines() if x.startswith(tenant.slug + " "))
        assert where[tenant.schema_name].node in line
    for node in worker_nodes():
        assert f"node {node}: " in text


def test_tenant_move_puts_the_schema_on_the_other_worker_and_it_keeps_serving(scratch_tenant,
                                                                             client):
    tenant = scratch_tenant()
    before = placements()[tenant.schema_name].node
    target = next(n for n in worker_nodes() if n != before)
    out = io.StringIO()
    call_command("tenant", "move", tenant.slug, "--to", target, stdout=out)
    assert f"to {target}" in out.getvalue()
    assert placements()[tenant.schema_name].node == target
    with schema_context(tenant.schema_name):
        from shared_apps.accounts.models import User

        assert User.objects.filter(email=f"owner@{tenant.slug}.test").exists()
    assert client.get("/healthz", HTTP_HOST=f"{tenant.slug}.{settings.BASE_DOMAIN}"
                      ).status_code == 200


def test_tenant_move_refuses_an_unknown_node(db, tenants):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not a worker node"):
        call_command("tenant", "move", "acme", "--to", "127.0.0.1:1", stdout=io.StringIO())


# -- archive and restore ------------------------------------------------------------------------
def test_archive_and_restore_round_trip_gives_a_distributed_schema_with_its_rows(
        scratch_tenant, tmp_path):
    from django.contrib.auth.models import Group as TenantGroup

    from tenants.archive.services import tenant_archive, tenant_restore

    tenant = scratch_tenant()
    with schema_context(tenant.schema_name):
        for n in range(5):
            TenantGroup.objects.create(name=f"team-{n}")
    info = tenant_archive(slug=tenant.slug, directory=tmp_path)
    assert not is_distributed(tenant.schema_name)  # dropped
    restored = tenant_restore(archive=info.path)
    assert is_distributed(restored.schema_name)
    total, distributed = _tables(restored.schema_name)
    assert distributed == total > 10
    with schema_context(restored.schema_name):
        assert TenantGroup.objects.count() == 5
        # The restored sequences continue after the restored rows (a DO-block setval).
        assert TenantGroup.objects.create(name="after").id > max(
            TenantGroup.objects.exclude(name="after").values_list("id", flat=True))
