"""Tenant schemas made and moved forward by Django's migrations."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db import connection

from tenants.schema.names import quote


def schema_migrate(schema_name: str, *, verbosity: int = 0) -> None:
    """Apply every pending tenant-app migration to ``schema_name``; back in public after."""
    try:
        call_command("migrate_schemas", schema_name=schema_name, tenant=True, interactive=False,
                     verbosity=verbosity, stdout=io.StringIO())
    finally:
        connection.set_schema_to_public()


def schema_create_by_migrations(schema_name: str) -> None:
    """The ``migrate`` method: an empty schema, then every migration (slow; needs no
    template)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote(schema_name)}")
    schema_migrate(schema_name)
