"""Creating, dropping and migrating tenant schemas, and the always-migrated template schema
that new tenants are cloned from."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from tenants.slugs import SLUG_PATTERN


def quote(schema_name: str) -> str:
    # Schema names reaching SQL text are always derived from a validated slug ("t_" + [a-z0-9_])
    # or a setting; this check makes sure nothing else ever gets here.
    if not (schema_name == settings.TENANT_TEMPLATE_SCHEMA or (
            schema_name.startswith("t_")
            and SLUG_PATTERN.match(schema_name[2:].replace("_", "-")))):
        raise ValueError(f"Refusing to use {schema_name!r} as a tenant schema name")
    return connection.ops.quote_name(schema_name)


def schema_drop(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote(schema_name)} CASCADE")


def schema_migrate(schema_name: str, *, verbosity: int = 0) -> None:
    call_command("migrate_schemas", schema_name=schema_name, tenant=True, interactive=False,
                 verbosity=verbosity, stdout=io.StringIO())
    connection.set_schema_to_public()


def schema_create_by_migrations(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote(schema_name)}")
    schema_migrate(schema_name)


# Any constant: the key of a transaction-level advisory lock serialising clones.
_CLONE_LOCK = 0x5AA5_C10E


def schema_create_by_clone(schema_name: str) -> None:
    template = settings.TENANT_TEMPLATE_SCHEMA
    if not schema_exists(template):
        template_ensure()
    # One transaction: a clone that fails halfway leaves no schema behind. django-tenants
    # re-creates its clone_schema() functions on every call, and two concurrent calls collide
    # on the catalog ("duplicate key ... cloneparms"), hence the lock.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CLONE_LOCK])
        CloneSchema().clone_schema(template, schema_name, "DATA", set_connection=True)


def schema_create_by_replay(schema_name: str) -> None:
    from tenants.schema_fast import schema_create_by_replay as replay

    if not schema_exists(settings.TENANT_TEMPLATE_SCHEMA):
        template_ensure()
    replay(schema_name)


# How new tenant schemas are made (TENANT_SCHEMA_METHOD). "replay" is the default: the
# fastest, and the only copy that is identical to the template (see docs/benchmarks.md).
SCHEMA_METHODS = {
    "replay": schema_create_by_replay,
    "clone": schema_create_by_clone,
    "migrate": schema_create_by_migrations,
}


def schema_create(schema_name: str, *, method: str | None = None) -> None:
    method = method or settings.TENANT_SCHEMA_METHOD
    try:
        create = SCHEMA_METHODS[method]
    except KeyError:
        raise ValueError(f"Unknown TENANT_SCHEMA_METHOD {method!r}; use one of "
                         f"{sorted(SCHEMA_METHODS)}") from None
    create(schema_name)


def template_ensure(*, verbosity: int = 0) -> None:
    """Create the template schema if missing and bring it to the latest migrations. Run on every
    deploy (``manage.py migrate_all``) so that cloned tenants start fully migrated."""
    template = settings.TENANT_TEMPLATE_SCHEMA
    if not schema_exists(template):
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote(template)}")
    schema_migrate(template, verbosity=verbosity)
