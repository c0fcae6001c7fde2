"""The PostgreSQL side of archives: a schema's tables read and written with ``COPY``, its
migration state, and a schema made at a given migration state to restore into.

Identifiers reaching SQL text here come from the catalog or a validated schema name, always
through quote_name (hence the S608 exemptions)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_context, schema_exists

from tenant_apps.core.catalog import RELATIONS_OF_NAMED_SCHEMA
from tenants.distribution import schema_distribute
from tenants.schema.create import schema_create
from tenants.schema.names import quote
from tenants.schema.template import template_ensure


def tables(schema: str) -> dict[str, list[str]]:
    """Every table of ``schema`` with its columns in order, generated columns left out (they
    are computed again on load)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, a.attname
                 FROM pg_class c
                 JOIN pg_attribute a ON a.attrelid = c.oid
                WHERE c.oid IN """ + RELATIONS_OF_NAMED_SCHEMA + """
                  AND c.relkind IN ('r', 'p')
                  AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                ORDER BY c.relname, a.attnum""", [schema])  # noqa: S608 (constant subquery)
        found: dict[str, list[str]] = {}
        for table, column in cursor.fetchall():
            found.setdefault(table, []).append(column)
    return found


def applied_migrations(schema: str) -> list[list[str]]:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {q(schema)}.django_migrations ORDER BY id")  # noqa: S608
        return [[app, name] for app, name in cursor.fetchall()]


def _qualified(schema: str, table: str, columns: Iterable[str]) -> str:
    q = connection.ops.quote_name
    return f"{q(schema)}.{q(table)} ({', '.join(q(c) for c in columns)})"


def lock_against_writes(schema: str, names: Iterable[str]) -> None:
    """Readers go on; a writer (a request that slipped in before the suspension took effect, a
    Celery task) waits, then fails on the dropped schema instead of writing a row the archive
    would miss. Holds until the transaction ends."""
    q = connection.ops.quote_name
    listed = ", ".join(f"{q(schema)}.{q(table)}" for table in names)
    if listed:
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {listed} IN EXCLUSIVE MODE")


def copy_out(schema: str, table: str, columns: list[str], target: Path) -> tuple[int, str]:
    """The table as CSV with a header into ``target``; returns (rows, SHA-256 of the file)."""
    digest = hashlib.sha256()
    q = connection.ops.quote_name
    # COPY of a query, not of the table: on Citus, a distributed table's COPY ... TO with a
    # HEADER counts the header line as a row (rowcount one too many); a query's does not, and
    # the bytes are the same.
    query = (f"SELECT {', '.join(q(c) for c in columns)} "  # noqa: S608 (names from the catalog)
             f"FROM {q(schema)}.{q(table)}")
    with target.open("wb") as out, connection.cursor() as cursor, cursor.copy(
            f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
        for chunk in copy:
            data = bytes(chunk)
            digest.update(data)
            out.write(data)
        # Set by the end of the COPY (and reset when the cursor closes): no count(*) pass.
        rows = cursor.rowcount
    return rows, digest.hexdigest()


def copy_in(schema: str, table: str, columns: list[str], chunks: Iterable[bytes]) -> None:
    """Load CSV (with a header) into the table; PostgreSQL's errors propagate."""
    with connection.cursor() as cursor, cursor.copy(
            f"COPY {_qualified(schema, table, columns)} FROM STDIN "
            "WITH (FORMAT csv, HEADER true)") as copy:
        for chunk in chunks:
            copy.write(chunk)


def reset_sequences(schema: str) -> None:
    """Identity and serial columns continue after the highest restored value."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, a.attname,
                      pg_get_serial_sequence(format('%%I.%%I', n.nspname, c.relname), a.attname)
                 FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_attribute a ON a.attrelid = c.oid
                WHERE c.oid IN """ + RELATIONS_OF_NAMED_SCHEMA + """
                  AND c.relkind IN ('r', 'p') AND a.attnum > 0
                  AND NOT a.attisdropped""", [schema])  # noqa: S608 (constant subquery)
        for table, column, sequence in cursor.fetchall():
            if sequence is None:
                continue
            c, src = q(column), f"{q(schema)}.{q(table)}"
            # A DO block, not `SELECT setval(...) FROM table`: on Citus that is routed, setval
            # and all, to the worker holding the table, where the sequence is not.
            literal = sequence.replace("'", "''")
            sql = (f"DO $$DECLARE top bigint; BEGIN SELECT MAX({c}) INTO top FROM {src}; "  # noqa: S608
                   f"PERFORM setval('{literal}', COALESCE(top, 1), top IS NOT NULL); END$$")
            cursor.execute(sql)


def unknown_migrations(migrations: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Those of ``migrations`` this release does not have (the archive is from a newer one)."""
    # The graph from disk alone: a loader given the connection also reads the applied
    # migrations, through MigrationRecorder.has_table(), which lists every table the connection
    # can see (the whole catalog: ~2.4 million rows at 10,000 tenants).
    return migrations - set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def create_schema_at(schema: str, migrations: set[tuple[str, str]]) -> bool:
    """An empty schema at exactly ``migrations``: a replay of the template when that is the
    template's state, the migrations up to it otherwise. True when it then needs migrating
    forward. The template's rows (content types, ...) are removed: the archive has its own."""
    template = settings.TENANT_TEMPLATE_SCHEMA
    if not schema_exists(template):
        template_ensure()
    if migrations == {tuple(m) for m in applied_migrations(template)}:
        schema_create(schema, method="replay")
        forward = False
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote(schema)}")
        with schema_context(schema):
            executor = MigrationExecutor(connection)
            graph = executor.loader.graph
            targets = []
            for app in sorted({app for app, _name in migrations}):
                # The app's latest applied migration: the one with the longest history.
                applied = [node for node in migrations if node[0] == app]
                targets.append(max(applied, key=lambda node: len(graph.forwards_plan(node))))
            executor.migrate(targets)
        schema_distribute(schema)  # on Citus, as schema_create does (tenants/distribution.py)
        forward = True
    q = connection.ops.quote_name
    present = tables(schema)
    if present:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(f"{q(schema)}.{q(t)}" for t in present))
    return forward
