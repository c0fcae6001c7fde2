"""``manage.py citus_check``: will the tenant apps' migrations keep working on Citus?

Reads the migrations on disk (no database needed) of the apps migrated into tenant schemas and
reports what schema-based sharding handles differently from one PostgreSQL (docs/scaling.md):

* ``fk-leaves-tenant``  (error) a foreign key from a tenant model to a model that lives only in
  ``public``: Citus refuses it until the target is a reference table, and django-tenants' tenant
  ``search_path`` would not find it anyway;
* ``do-block-ddl``      (error) ``CREATE``/``ALTER``/``DROP`` inside a ``DO`` block or a
  function body in ``RunSQL``: Citus distributes only DDL a client sends, so such a table stays
  on the coordinator, silently;
* ``sequence-reset``    (error) ``setval(...) FROM table`` in ``RunSQL``: sent to the worker
  with the table, where the sequence is not (use a ``DO`` block that reads ``max()`` first);
* ``set-constraints``   (error) ``SET CONSTRAINTS`` in ``RunSQL``: not sent to the workers;
* ``non-bigint-key``    (warning) an ``integer`` auto-increment primary key: Citus gives each
  node its own range of a ``bigint`` sequence only; an ``integer`` key can only be filled
  through the coordinator and runs out sooner.

By default only the project's own apps are checked (a fork's migrations are its business;
Django's contrib apps use ``integer`` keys and work through the coordinator); ``--all`` checks
every tenant app. Exit status 1 when an error is found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader

DDL = re.compile(r"\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX|UNIQUE\s+INDEX|SEQUENCE|VIEW|TYPE)\b",
                 re.IGNORECASE)
BLOCK = re.compile(r"\bDO\s*(\$\w*\$)(.*?)\1|\bCREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)"
                   r"\b.*?(\$\w*\$)(.*?)\5", re.IGNORECASE | re.DOTALL)
SEQUENCE_RESET = re.compile(r"\bsetval\s*\(.*?\)\s*FROM\b", re.IGNORECASE | re.DOTALL)
SET_CONSTRAINTS = re.compile(r"\bSET\s+CONSTRAINTS\b", re.IGNORECASE)



@dataclass(frozen=True)
class Finding:
    severity: str  # "error" | "warning"
    code: str
    migration: str  # app_label.name
    message: str

    def __str__(self) -> str:
        return f"{self.severity.upper()} {self.code} {self.migration}: {self.message}"


def tenant_app_labels(*, include_third_party: bool = False) -> set[str]:
    root = Path(settings.BASE_DIR).resolve()
    labels = set()
    for config in apps.get_app_configs():
        if config.name not in settings.TENANT_APPS:
            continue
        path = Path(config.path).resolve()
        if include_third_party or (path.is_relative_to(root) and "site-packages" not in path.parts):
            labels.add(config.label)
    return labels


def _public_only_labels() -> set[str]:
    tenant = {c.label for c in apps.get_app_configs() if c.name in settings.TENANT_APPS}
    return {c.label for c in apps.get_app_configs() if c.label not in tenant}


def _sql_texts(sql) -> list[str]:
    if isinstance(sql, str):
        return [sql]
    texts = []
    for item in sql or []:
        texts.append(item[0] if isinstance(item, list | tuple) else item)
    return [t for t in texts if isinstance(t, str)]


def _operations(operations) -> list:
    flat = []
    for op in operations:
        if isinstance(op, migrations.SeparateDatabaseAndState):
            flat += _operations(op.database_operations)
        else:
            flat.append(op)
    return flat


def _target_label(field, app_label: str) -> str | None:
    remote = getattr(field, "remote_field", None)
    if remote is None:
        return None
    model = remote.model
    if isinstance(model, str):
        if model == "self" or "." not in model:
            return app_label
        if model.lower() == settings.AUTH_USER_MODEL.lower():
            return settings.AUTH_USER_MODEL.split(".")[0]
        return model.split(".")[0]
    return model._meta.app_label


def check_migration(migration, public_only: set[str] | None = None) -> list[Finding]:
    public_only = _public_only_labels() if public_only is None else public_only
    where = f"{migration.app_label}.{migration.name}"
    findings = []

    def found(severity: str, code: str, message: str) -> None:
        findings.append(Finding(severity, code, where, message))

    for op in _operations(migration.operations):
        fields: list[tuple[str, str, models.Field]] = []
        if isinstance(op, migrations.CreateModel):
            fields = [(op.name, name, field) for name, field in op.fields]
        elif isinstance(op, migrations.AddField | migrations.AlterField):
            fields = [(op.model_name, op.name, op.field)]
        for model, name, field in fields:
            # (isinstance(BigAutoField(), AutoField) is True: Django's AutoFieldMeta.)
            if field.primary_key and isinstance(field, models.AutoField) \
                    and not isinstance(field, models.BigAutoField):
                found("warning", "non-bigint-key",
                      f"{model}.{name} is an {field.__class__.__name__} (integer): use "
                      "BigAutoField")
            target = _target_label(field, migration.app_label)
            if target in public_only:
                found("error", "fk-leaves-tenant",
                      f"{model}.{name} references {field.remote_field.model}, which lives in "
                      "public only: make the target a tenant model (or store its id without a "
                      "foreign key)")
        if isinstance(op, migrations.RunSQL):
            for sql in _sql_texts(op.sql):
                for block in BLOCK.finditer(sql):
                    body = block.group(2) or block.group(6) or ""
                    if DDL.search(body):
                        found("error", "do-block-ddl",
                              "DDL inside a DO block or function body is not distributed by "
                              "Citus: send the statements themselves")
                if SEQUENCE_RESET.search(sql):
                    found("error", "sequence-reset",
                          "setval(...) FROM <table> runs on the worker: read max() in a DO "
                          "block first (tenants/postgresql_backend/citus.py)")
                if SET_CONSTRAINTS.search(sql):
                    found("error", "set-constraints",
                          "SET CONSTRAINTS does not reach the workers (Citus #2234)")
    return findings


def check_project(*, include_third_party: bool = False) -> list[Finding]:
    labels = tenant_app_labels(include_third_party=include_third_party)
    loader = MigrationLoader(None, ignore_no_migrations=True)
    public_only = _public_only_labels()
    findings = []
    for (app_label, _name), migration in sorted(loader.disk_migrations.items()):
        if app_label in labels:
            findings += check_migration(migration, public_only)
    return findings
