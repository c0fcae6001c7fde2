"""Plan once: migrate the template schema with Django and keep the SQL it ran as the plan that
every tenant schema still at the template's old state gets.

Django's cost per schema is the migration graph and the model states it renders, not the SQL:
an AddField is one ``ALTER TABLE``. Every tenant schema is a replay of the template (same table,
constraint, index and sequence names; ``tenants/schema/replay.py``), so the statements Django
issued against the template -- unqualified names, resolved through ``search_path`` -- are the
statements it would issue against any twin of it. The plan is only handed to schemas whose
catalog hash and applied migrations equal the template's *before* the run
(``tenants.fleet.runner``); anything else goes through Django.

What makes a plan unsafe, so that the whole run goes through Django schema by schema:
``RunPython`` (Python code may read and write rows differently per schema),
``SeparateDatabaseAndState`` (its database half may be anything), a non-atomic migration
(statements that cannot share one transaction), and SQL that names a schema (it would touch that
schema, not the tenant's).
"""

from __future__ import annotations

import io
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations import operations
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import get_tenant_base_migrate_command_class, schema_exists

from tenants.schema.names import quote

_deferred = threading.local()


@contextmanager
def template_migration_deferred():
    """``migrate_all`` migrates the template itself, capturing its SQL: within this block the
    post-migrate receiver that would migrate it after public (tenants.signals) leaves it be."""
    _deferred.active = True
    try:
        yield
    finally:
        _deferred.active = False


def template_migration_is_deferred() -> bool:
    return getattr(_deferred, "active", False)


# Statements of a migration run that are bookkeeping or reads, not the migration itself.
_SKIPPED = re.compile(
    r"^\s*(SELECT\b|SAVEPOINT\b|RELEASE SAVEPOINT\b|ROLLBACK TO SAVEPOINT\b|SET search_path\b"
    r"|INSERT INTO \"django_migrations\")", re.I)


def _names_a_schema(sql: str) -> str | None:
    """The schema a statement names explicitly (``public.x``, ``"t_acme".x``), if any."""
    names = "|".join(re.escape(s) for s in (settings.PUBLIC_SCHEMA_NAME,
                                             settings.TENANT_TEMPLATE_SCHEMA))
    pattern = r'(?<![\w"])"?(' + names + r'|t_[a-z0-9_]+|pool_[a-z0-9]+)"?\s*\.'
    match = re.search(pattern, sql)
    return match.group(1) if match else None


@dataclass
class Plan:
    """What the template's run did, ready to be replayed in a tenant schema."""

    migrations: list[str]  # "app.name", in the order applied (recorded in django_migrations)
    statements: list[str] = field(default_factory=list)
    before_catalog: str = ""  # the template's catalog hash before the run
    before_applied: str = ""  # md5 of the template's applied migrations before the run
    after_applied: str = ""  # ... and after it
    unsafe: str = ""  # why the plan may not be used (empty: usable)

    def as_dict(self) -> dict:
        return {"migrations": self.migrations, "statements": self.statements,
                "before_catalog": self.before_catalog, "before_applied": self.before_applied,
                "after_applied": self.after_applied, "unsafe": self.unsafe}

    @classmethod
    def from_dict(cls, data: dict) -> Plan:
        return cls(**{k: data.get(k, default) for k, default in (
            ("migrations", []), ("statements", []), ("before_catalog", ""),
            ("before_applied", ""), ("after_applied", ""), ("unsafe", ""))})

    def sql(self) -> str:
        """The whole plan as one batch: the migrations' statements, then their
        ``django_migrations`` rows (run with search_path = the tenant)."""
        rows = ", ".join(
            "({}, {}, now())".format(*(sql_literal(part) for part in name.split(".", 1)))
            for name in self.migrations)
        batch = [*self.statements]
        if rows:
            # Literals quoted by sql_literal: no outside input reaches this text.
            batch.append(f"INSERT INTO django_migrations (app, name, applied) VALUES {rows}")  # noqa: S608
        return ";\n".join(s.rstrip().rstrip(";") for s in batch) + ";"


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _unsafe_operation(migration) -> str:
    if not migration.atomic:
        return f"{migration.app_label}.{migration.name} is not atomic"
    stack = list(migration.operations)
    while stack:
        op = stack.pop()
        if isinstance(op, operations.RunPython):
            return f"{migration.app_label}.{migration.name} has RunPython"
        if isinstance(op, operations.SeparateDatabaseAndState):
            return f"{migration.app_label}.{migration.name} has SeparateDatabaseAndState"
    return ""


# Rows that post_migrate (contenttypes, auth) adds for new models: synced into each tenant by
# natural key, never by id (ids come from each schema's own sequences).
_CONTENT_ROWS_SQL = """
SELECT ct.app_label, ct.model, p.codename, p.name
  FROM django_content_type ct LEFT JOIN auth_permission p ON p.content_type_id = ct.id
"""


def _content_rows() -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('django_content_type') IS NOT NULL "
                       "AND to_regclass('auth_permission') IS NOT NULL")
        if not cursor.fetchone()[0]:  # a template being created
            return set()
        cursor.execute(_CONTENT_ROWS_SQL)
        return set(cursor.fetchall())


def _content_sync_sql(new_rows: set[tuple]) -> list[str]:
    if not new_rows:
        return []
    types = sorted({(app, model) for app, model, _c, _n in new_rows})
    perms = sorted(r for r in new_rows if r[2] is not None)
    sql = [
        "INSERT INTO django_content_type (app_label, model) SELECT v.a, v.m FROM (VALUES "  # noqa: S608
        + ", ".join(f"({sql_literal(a)}, {sql_literal(m)})" for a, m in types)
        + ") AS v(a, m) WHERE NOT EXISTS (SELECT 1 FROM django_content_type ct "
        "WHERE ct.app_label = v.a AND ct.model = v.m)"]
    if perms:
        sql.append(
            "INSERT INTO auth_permission (name, content_type_id, codename) "  # noqa: S608
            "SELECT v.n, ct.id, v.c FROM (VALUES "
            + ", ".join(f"({sql_literal(a)}, {sql_literal(m)}, {sql_literal(c)}, {sql_literal(n)})"
                        for a, m, c, n in perms)
            + ") AS v(a, m, c, n) JOIN django_content_type ct ON ct.app_label = v.a "
            "AND ct.model = v.m WHERE NOT EXISTS (SELECT 1 FROM auth_permission p "
            "WHERE p.content_type_id = ct.id AND p.codename = v.c)")
    return sql


def template_migrate_capturing(*, before_catalog: str, before_applied: str,
                               verbosity: int = 0) -> Plan:
    """Bring the template to the code's migrations with Django (creating it when missing) and
    return what it ran as a ``Plan``."""
    template = settings.TENANT_TEMPLATE_SCHEMA
    if not schema_exists(template):
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote(template)}")
    connection.set_schema(template, include_public=False)
    try:
        MigrationRecorder(connection).ensure_schema()
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        plan = Plan(migrations=[f"{m.app_label}.{m.name}" for m, _backwards in pending],
                    before_catalog=before_catalog, before_applied=before_applied)
        plan.unsafe = next((why for m, _b in pending if (why := _unsafe_operation(m))), "")
        if any(backwards for _m, backwards in pending):
            plan.unsafe = "the code's migrations unapply some applied ones"
        before_rows = _content_rows()
        current: list[str | None] = [None]

        def capture(execute, sql, params, many, context):
            if current[0] is not None and not many and not _SKIPPED.match(sql):
                plan.statements.append(
                    connection.ops.compose_sql(sql, params) if params else sql)
            return execute(sql, params, many, context)

        class CapturingMigrate(get_tenant_base_migrate_command_class()):
            def migration_progress_callback(self, action, migration=None, fake=False):
                if action == "apply_start":
                    current[0] = f"{migration.app_label}.{migration.name}"
                elif action == "apply_success":
                    current[0] = None
                super().migration_progress_callback(action, migration, fake)

        with connection.execute_wrapper(capture):
            call_command(CapturingMigrate(), interactive=False, verbosity=verbosity,
                         stdout=io.StringIO())
        plan.statements.extend(_content_sync_sql(_content_rows() - before_rows))
        if not plan.unsafe:
            for statement in plan.statements:
                if named := _names_a_schema(statement):
                    plan.unsafe = f"its SQL names the schema {named!r}: {statement[:120]}"
                    break
        return plan
    finally:
        connection.set_schema_to_public()
