"""Tenant schemas spread over a Citus cluster (``TENANT_DISTRIBUTION=citus``; docs/scaling.md).

With Citus, each tenant schema is a *distributed schema*: its tables live together on one worker
node, chosen when the schema is distributed, and the whole schema can be moved to another node
online. The application keeps talking to the coordinator, which routes every query of a tenant
to that tenant's node. Nothing changes for tenant apps: they never know.

Schemas are always created as plain schemas on the coordinator and distributed afterwards
(``schema_distribute``), whatever the creation method. This is the answer to difference 1:
Citus distributes only DDL a client sends, so a table created inside a ``DO`` block or a
PL/pgSQL function -- django-tenants' ``clone_schema`` creates all of them that way -- stays a
coordinator-local table of a "distributed" schema, silently, and distributing the schema later
does nothing ("already distributed"). So ``citus.enable_schema_based_sharding`` is switched off
while a schema is made (``local_schema_creation``) and ``citus_schema_distribute`` converts the
finished schema, all its tables, in one step.

Difference 5 is handled here too: a tenant table may reference a ``public`` table only once that
table is a *reference table* (copied to every node); ``schema_distribute`` makes every public
table the schema references one first.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection


def citus_enabled() -> bool:
    return settings.TENANT_DISTRIBUTION == "citus"


@contextmanager
def local_schema_creation():
    """Schemas created inside are plain coordinator schemas, even if the database has
    ``citus.enable_schema_based_sharding`` on by default."""
    if not citus_enabled():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET citus.enable_schema_based_sharding TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET citus.enable_schema_based_sharding")


def is_distributed(schema_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_dist_schema WHERE schemaid = "
                       "(SELECT oid FROM pg_namespace WHERE nspname = %s))", [schema_name])
        return cursor.fetchone()[0]


PUBLIC_TARGETS_SQL = """
SELECT DISTINCT dst.oid::regclass::text
  FROM pg_constraint con
  JOIN pg_class src ON src.oid = con.conrelid
  JOIN pg_class dst ON dst.oid = con.confrelid
 WHERE con.contype = 'f' AND src.relnamespace = quote_ident(%s)::regnamespace
   AND dst.relnamespace <> src.relnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = dst.oid)
"""


def reference_public_targets(schema_name: str) -> list[str]:
    """Make every table outside ``schema_name`` that its tables reference a reference table
    (difference 5); returns their names."""
    with connection.cursor() as cursor:
        cursor.execute(PUBLIC_TARGETS_SQL, [schema_name])
        targets = [row[0] for row in cursor.fetchall()]
        for table in targets:
            cursor.execute("SELECT create_reference_table(%s::regclass)", [table])
    return targets


def schema_distribute(schema_name: str) -> None:
    """Turn the plain schema ``schema_name`` into a distributed schema (no-op when Citus is
    off or it already is). Its tables move to the node Citus picks for the new co-location
    group; their rows are copied there."""
    if not citus_enabled() or is_distributed(schema_name):
        return
    reference_public_targets(schema_name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT citus_schema_distribute(quote_ident(%s)::regnamespace)",
                       [schema_name])


@dataclass(frozen=True)
class Placement:
    schema_name: str
    node: str  # host:port
    size_bytes: int


PLACEMENTS_SQL = """
SELECT n.nspname, s.nodename || ':' || s.nodeport, coalesce(sum(s.shard_size), 0)::bigint
  FROM pg_dist_schema d
  JOIN pg_namespace n ON n.oid = d.schemaid
  JOIN pg_class c ON c.relnamespace = n.oid
  JOIN citus_shards s ON s.table_name = c.oid
 GROUP BY 1, 2
 ORDER BY 1
"""


def placements() -> dict[str, Placement]:
    """Where each distributed schema lives, with its size (citus_shards)."""
    with connection.cursor() as cursor:
        cursor.execute(PLACEMENTS_SQL)
        return {schema: Placement(schema, node, size) for schema, node, size in cursor.fetchall()}


def worker_nodes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nodename || ':' || nodeport FROM pg_dist_node "
                       "WHERE noderole = 'primary' AND shouldhaveshards AND isactive "
                       "ORDER BY nodeid")
        return [row[0] for row in cursor.fetchall()]


class UnknownNode(ValueError):
    pass


def schema_move(schema_name: str, node: str, *, mode: str = "force_logical") -> None:
    """Move a distributed schema to ``node`` (host:port) online: Citus copies the tables by
    logical replication while the tenant keeps reading and writing, then switches over with a
    brief write lock (``force_logical``); ``block_writes`` blocks writes for the whole copy."""
    if node not in worker_nodes():
        raise UnknownNode(f"{node} is not a worker node; workers: {', '.join(worker_nodes())}")
    host, _, port = node.rpartition(":")
    with connection.cursor() as cursor:
        cursor.execute("SELECT citus_schema_move(quote_ident(%s)::regnamespace, %s, %s, %s)",
                       [schema_name, host, int(port), mode])
