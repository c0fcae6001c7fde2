"""Which schemas lack which of the code's migrations, for the whole fleet in ONE query.

Asking schema by schema costs a round trip (and a Python ``MigrationRecorder``) per tenant: 30 s
for a no-op ``migrate_all`` over 1,000 tenants. Here PostgreSQL itself visits every schema's
``django_migrations`` (a temporary PL/pgSQL function runs a small query per schema, inside one
statement) and returns, per schema, how many of the expected migrations are missing and a hash
of the applied set: a run with nothing to do costs one round trip plus loading the graph.

One statement per ``BATCH`` tenants, not one for the whole fleet: reading a schema's
``django_migrations`` locks that table and its index until the statement's transaction ends,
and PostgreSQL's lock table holds ``max_locks_per_transaction`` (64) x ``max_connections``
(100) = 6,400 locks by default, for every session together. One statement over 10,000 tenants
needed ~20,000 and failed with "out of shared memory" (bench/fleet.py --tenants 10000); 500
tenants take ~1,000 locks, and 20 round trips at 10,000 tenants cost nothing to speak of.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

BATCH = 500  # tenant schemas probed per statement (see above)


@dataclass(frozen=True)
class SchemaStatus:
    schema_name: str
    kind: str  # "public", "template", "tenant" or "pool"
    exists: bool  # the schema and its django_migrations table exist
    missing: int  # expected migrations not applied (0: up to date)
    applied_hash: str  # md5 of the sorted applied "app.name" list (same set: same hash)

    @property
    def up_to_date(self) -> bool:
        return self.exists and self.missing == 0


@cache
def expected_migrations() -> dict[str, tuple[str, ...]]:
    """The code's migrations as sorted "app.name" strings: shared apps' for public, tenant
    apps' for every other schema. Read from disk once per process (a deploy restarts it)."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    labels = {c.name: c.label for c in apps.get_app_configs()}
    shared = {labels[a] for a in settings.SHARED_APPS}
    tenant = {labels[a] for a in settings.TENANT_APPS}
    return {
        "public": tuple(sorted(f"{a}.{n}" for a, n in graph.nodes if a in shared)),
        "tenant": tuple(sorted(f"{a}.{n}" for a, n in graph.nodes if a in tenant)),
    }


# Probes one schema's django_migrations with dynamic SQL. A temporary function (pg_temp: private
# to this connection, gone when it closes), so that nothing of the platform lives in public.
_PROBE_FUNCTION_SQL = r"""
CREATE OR REPLACE FUNCTION pg_temp.saas_migrations_probe(schema_name text, expected text[],
    OUT present boolean, OUT missing int, OUT applied text) LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass(format('%I.django_migrations', schema_name)) IS NULL THEN
        present := false; missing := -1; applied := '';
        RETURN;
    END IF;
    present := true;
    EXECUTE format('SELECT $1 - count(DISTINCT app || ''.'' || name)
                                FILTER (WHERE app || ''.'' || name = ANY($2)),
                           md5(coalesce(string_agg(app || ''.'' || name, '',''
                                                   ORDER BY app, name), ''''))
                      FROM %I.django_migrations', schema_name)
       INTO missing, applied USING cardinality(expected), expected;
END $$
"""

# Public, the template and the pool (a few schemas), then every live tenant (archived ones
# have no schema; provisioning ones are the pipeline's) in batches, by schema name.
_OTHERS_SQL = """
SELECT %(public)s::text, 'public'
UNION ALL SELECT %(template)s::text, 'template'
UNION ALL SELECT schema_name::text, 'pool' FROM tenants_poolschema
"""
_TENANTS_SQL = """
SELECT schema_name::text, 'tenant' FROM tenants_tenant
 WHERE state NOT IN ('archived', 'provisioning') AND schema_name > %(after)s {tenant_filter}
 ORDER BY schema_name LIMIT %(batch)s
"""
_STATUS_SQL = """
WITH schemas(name, kind) AS ({schemas})
SELECT s.name, s.kind, p.present, p.missing, p.applied
  FROM schemas s, LATERAL pg_temp.saas_migrations_probe(
           s.name, CASE WHEN s.kind = 'public' THEN %(shared)s::text[]
                        ELSE %(tenant)s::text[] END) p
 ORDER BY s.name
"""


def fleet_status(*, schemas: list[str] | None = None) -> list[SchemaStatus]:
    """The migration state of public, the template, the pool and every live tenant (or only
    the tenants whose schema is in ``schemas``), one query per ``BATCH`` tenants. Outside a
    transaction (``migrate_all``), each batch's locks go with its statement."""
    expected = expected_migrations()
    tenant_filter = "AND schema_name = ANY(%(only)s)" if schemas is not None else ""
    params = {
        "public": settings.PUBLIC_SCHEMA_NAME, "template": settings.TENANT_TEMPLATE_SCHEMA,
        "shared": list(expected["public"]), "tenant": list(expected["tenant"]),
        "only": schemas or [], "after": "", "batch": BATCH,
    }
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(_PROBE_FUNCTION_SQL)
        cursor.execute(_STATUS_SQL.format(schemas=_OTHERS_SQL), params)
        rows = cursor.fetchall()
        tenants_sql = _STATUS_SQL.format(schemas=_TENANTS_SQL.format(tenant_filter=tenant_filter))
        while True:
            cursor.execute(tenants_sql, params)
            batch = cursor.fetchall()
            rows += batch
            if len(batch) < BATCH:
                break
            params["after"] = batch[-1][0]
    return [SchemaStatus(name, kind, exists, missing if exists else -1, applied)
            for name, kind, exists, missing, applied in rows]
