"""Which migrations a schema still lacks, with the migration graph read from disk once per
process (it only changes with a deploy). Used by ``migrate_all`` to skip up-to-date schemas and
by ``/readyz`` on every probe, where rebuilding the graph each time would be wasted I/O."""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import schema_context, schema_exists


@cache
def _expected() -> dict[str, frozenset]:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    labels = {c.name: c.label for c in apps.get_app_configs()}
    shared = {labels[a] for a in settings.SHARED_APPS}
    tenant = {labels[a] for a in settings.TENANT_APPS}
    return {
        "public": frozenset(k for k in graph.nodes if k[0] in shared),
        "tenant": frozenset(k for k in graph.nodes if k[0] in tenant),
    }


def pending_migrations(schema_name: str) -> set[tuple[str, str]] | None:
    """Migrations not applied in ``schema_name`` (public uses the shared apps' set, any other
    schema the tenant apps'); None when the schema or its migration table does not exist."""
    kind = "public" if schema_name == settings.PUBLIC_SCHEMA_NAME else "tenant"
    if kind == "tenant" and not schema_exists(schema_name):
        return None
    with schema_context(schema_name):
        recorder = MigrationRecorder(connection)
        if not recorder.has_table():
            return None
        return set(_expected()[kind] - set(recorder.applied_migrations()))


def is_up_to_date(schema_name: str) -> bool:
    return pending_migrations(schema_name) == set()
