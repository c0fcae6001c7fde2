"""What the database backend does differently on a Citus cluster (``TENANT_DISTRIBUTION=citus``).

Django and django-tenants run on a Citus coordinator almost unchanged; docs/scaling.md lists the
differences found. Five of them are the backend's business and are handled here:

2. ``SET CONSTRAINTS ALL IMMEDIATE`` is not sent on to the workers (Citus #2234), so Django's
   ``check_constraints()`` (loaddata, TestCase) would never raise for a tenant table:
   ``check_constraints`` looks for dangling foreign keys itself in a distributed schema.
3. A deferred foreign-key violation found by a worker at COMMIT reaches Django as an
   ``InternalError`` (XX000): ``commit`` re-raises it as the ``IntegrityError`` it is.
4. Django's sequence reset (``loaddata``, ``sqlsequencereset``) is ``SELECT setval(...) FROM
   table``, which Citus routes, setval and all, to the worker holding the table; the sequence
   lives on the coordinator. A ``DO`` block runs the ``max()`` on the worker and the setval on
   the coordinator.
6. ``CREATE DATABASE`` is not propagated: a test database is created on every node, with the
   extension, and the workers registered in it (``create_test_database_on_workers``).
7. ``ADD COLUMN`` with an unnamed constraint (Django's CHECK of a positive integer field, its
   UNIQUE) is refused on a distributed table: ``ColumnConstraintsNamed``.
"""

from __future__ import annotations

import psycopg
import psycopg.sql
from django.db import IntegrityError

FK_VIOLATION_MARK = "violates foreign key constraint"
INTEGRITY_MARKS = (FK_VIOLATION_MARK, "violates unique constraint", "violates check constraint",
                   "violates not-null constraint", "violates exclusion constraint")


def integrity_cause(error: str, warnings: list[str]) -> str | None:
    """The constraint violation behind a failed COMMIT on Citus, if that is what it was: the
    coordinator says only "could not commit transaction for shard N" (XX000), after relaying
    the worker's own error as a WARNING."""
    for text in [error, *reversed(warnings)]:
        if any(mark in text for mark in INTEGRITY_MARKS):
            return text
    return None

# The foreign keys of the current schema, when it is a distributed (tenant) schema.
TENANT_FOREIGN_KEYS_SQL = """
SELECT con.conname, src.relname, sa.attname, dst.relname, da.attname
  FROM pg_constraint con
  JOIN pg_class src ON src.oid = con.conrelid
  JOIN pg_class dst ON dst.oid = con.confrelid
  JOIN pg_attribute sa ON sa.attrelid = con.conrelid AND sa.attnum = con.conkey[1]
  JOIN pg_attribute da ON da.attrelid = con.confrelid AND da.attnum = con.confkey[1]
 WHERE con.contype = 'f' AND array_length(con.conkey, 1) = 1
   AND con.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
   AND EXISTS (SELECT 1 FROM pg_dist_schema s
                WHERE s.schemaid = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()))
"""


def check_tenant_constraints(connection, table_names=None) -> None:
    """Raise IntegrityError for a row of the current (distributed) schema whose foreign key
    points at nothing, as ``SET CONSTRAINTS ALL IMMEDIATE`` would on one PostgreSQL. One
    anti-join per key; the schema's tables are co-located, so each runs on one worker."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(TENANT_FOREIGN_KEYS_SQL)
        keys = cursor.fetchall()
        for name, table, column, target, target_column in keys:
            if table_names is not None and table not in table_names:
                continue
            src, dst, col, ref = qn(table), qn(target), qn(column), qn(target_column)
            # Names from the catalog, quoted.
            sql = f"SELECT s.{col} FROM {src} s LEFT JOIN {dst} t ON s.{col} = t.{ref} "  # noqa: S608
            cursor.execute(sql + f"WHERE s.{col} IS NOT NULL AND t.{ref} IS NULL LIMIT 1")
            row = cursor.fetchone()
            if row is not None:
                raise IntegrityError(
                    f'insert or update on table "{table}" {FK_VIOLATION_MARK} "{name}": '
                    f"{column}={row[0]} is not present in table \"{target}\"")


def sequence_reset_sql(ops, style, model_list) -> list[str]:
    """Django's sequence reset, as DO blocks that keep setval() on the coordinator."""
    from django.db import models

    qn = ops.quote_name
    output = []
    for model in model_list:
        for field in model._meta.local_fields:
            if isinstance(field, models.AutoField):
                table, column = qn(model._meta.db_table), qn(field.column)
                # The model's names, quoted.
                top = f"SELECT max({column}) INTO top FROM {table}; "  # noqa: S608
                output.append(
                    f"{style.SQL_KEYWORD('DO')} $$DECLARE top bigint; BEGIN {top}"
                    f"PERFORM setval(pg_get_serial_sequence('{table}', '{field.column}'), "
                    f"coalesce(top, 1), top IS NOT NULL); END$$;")
                break
    return output


def _nodes(settings_dict: dict) -> tuple[tuple[str, int], list[tuple[str, int]]]:
    """The coordinator and the workers, as registered in the main database."""
    with psycopg.connect(**_params(settings_dict, settings_dict["NAME"]), autocommit=True) as c:
        rows = c.execute("SELECT groupid, nodename, nodeport FROM pg_dist_node "
                         "WHERE noderole = 'primary' ORDER BY groupid, nodeid").fetchall()
    coordinator = next(((h, p) for g, h, p in rows if g == 0), None)
    workers = [(h, p) for g, h, p in rows if g != 0]
    if coordinator is None:
        host = settings_dict["HOST"] or "localhost"
        coordinator = (host, int(settings_dict["PORT"] or 5432))
    return coordinator, workers


def _params(settings_dict: dict, dbname: str, host: str | None = None,
            port: int | None = None) -> dict:
    params = {"dbname": dbname, "user": settings_dict["USER"] or None,
              "password": settings_dict["PASSWORD"] or None,
              "host": host or settings_dict["HOST"] or None,
              "port": port or settings_dict["PORT"] or None}
    return {k: v for k, v in params.items() if v is not None}


def create_test_database_on_workers(settings_dict: dict, test_name: str) -> None:
    """Citus does not propagate CREATE DATABASE: create ``test_name`` on every worker too, then
    the extension on every node and the node registration in the new database."""
    coordinator, workers = _nodes(settings_dict)
    quoted = psycopg.sql.Identifier(test_name)
    for host, port in workers:
        with psycopg.connect(**_params(settings_dict, "postgres", host, port),
                             autocommit=True) as c:
            c.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(quoted))
            c.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(quoted))
    for host, port in [(None, None), *workers]:  # (None, None): the coordinator
        with psycopg.connect(**_params(settings_dict, test_name, host, port),
                             autocommit=True) as c:
            c.execute("CREATE EXTENSION IF NOT EXISTS citus")
    with psycopg.connect(**_params(settings_dict, test_name), autocommit=True) as c:
        c.execute("SELECT citus_set_coordinator_host(%s, %s)", coordinator)
        for node in workers:
            c.execute("SELECT citus_add_node(%s, %s)", node)


def worker_nodes(settings_dict: dict) -> list[tuple[str, int]]:
    return _nodes(settings_dict)[1]


def destroy_test_database_on_workers(settings_dict: dict, test_name: str,
                                     workers: list[tuple[str, int]]) -> None:
    for host, port in workers:
        with psycopg.connect(**_params(settings_dict, "postgres", host, port),
                             autocommit=True) as c:
            c.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                      .format(psycopg.sql.Identifier(test_name)))


def pg_constraint_name(table: str, column: str, label: str) -> str:
    """The name PostgreSQL gives an unnamed column constraint (``makeObjectName``): table and
    column shortened, the longer first, to fit 63 bytes with ``_label``."""
    available = 63 - len(label) - 2
    name1, name2 = len(table), len(column)
    while name1 + name2 > available:
        if name1 > name2:
            name1 -= 1
        else:
            name2 -= 1
    return f"{table[:name1]}_{column[:name2]}_{label}"


class ColumnConstraintsNamed:
    """7. Citus refuses ``ALTER TABLE ... ADD COLUMN`` with an unnamed constraint on a
    distributed table ("all constraints in Citus must have explicit names"), which is how Django
    adds a ``PositiveIntegerField`` (CHECK) or a ``unique=True`` field to an existing model: the
    fleet's migrations would fail on every tenant. Here the column is added bare and each
    constraint then added by the name PostgreSQL would have chosen (so a migrated schema and a
    replayed one still match, names included). A mixin for the schema editor."""

    _bare_column = False

    def add_field(self, model, field):
        check = field.db_parameters(connection=self.connection)["check"]
        unique = field.unique and not field.primary_key
        if field.many_to_many or not (check or unique):
            return super().add_field(model, field)
        self._bare_column = True
        self.sql_check_constraint = ""  # instance attribute: this call only
        try:
            super().add_field(model, field)
        finally:
            self._bare_column = False
            del self.sql_check_constraint
        table, qn = model._meta.db_table, self.quote_name
        if check:
            self.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT "
                         f"{qn(pg_constraint_name(table, field.column, 'check'))} CHECK ({check})")
        if unique:
            self.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT "
                         f"{qn(pg_constraint_name(table, field.column, 'key'))} "
                         f"UNIQUE ({qn(field.column)})")

    def _iter_column_sql(self, *args, **kwargs):
        for part in super()._iter_column_sql(*args, **kwargs):
            if not (self._bare_column and part == "UNIQUE"):
                yield part
