"""The template schema new tenants are copied from: always migrated, and never copied stale.

A copy (``replay`` or ``clone``) is exactly as current as its template. A template behind the
code's migrations would give new tenants a schema without, say, a column the code uses, and
their first request would fail. So ``template_require_current()`` runs before every copy and
refuses with ``TemplateOutOfDate`` naming the command that fixes it; and the template is
migrated by ``migrate_all`` and by every plain ``migrate`` / ``migrate_schemas`` run
(``tenants.signals.migrate_template_after_public``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_exists

from tenants.distribution import local_schema_creation, schema_distribute
from tenants.migration_state import pending_migrations
from tenants.schema.migrate import schema_migrate
from tenants.schema.names import quote


class TemplateOutOfDate(RuntimeError):
    """The template schema lacks migrations the code has: copying it would be wrong."""


def template_ensure(*, verbosity: int = 0) -> None:
    """Create the template schema if missing and bring it to the latest migrations."""
    template = settings.TENANT_TEMPLATE_SCHEMA
    with local_schema_creation():
        if not schema_exists(template):
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE SCHEMA {quote(template)}")
        schema_migrate(template, verbosity=verbosity)
    # On Citus the template is a distributed schema like every tenant's; once it is, later
    # migrations' tables join it as Citus distributes the DDL Django sends.
    schema_distribute(template)


def template_require_current() -> str:
    """The template's name, once it is known to be at the code's migrations. A missing
    template is created (migrated, so current); one behind the code is refused: migrating it
    here, in the middle of provisioning, would race other processes doing the same."""
    template = settings.TENANT_TEMPLATE_SCHEMA
    pending = pending_migrations(template)
    if pending is None:
        template_ensure()
        pending = pending_migrations(template)
    if pending:
        example = ", ".join(".".join(node) for node in sorted(pending)[:3])
        raise TemplateOutOfDate(
            f"The template schema {template!r} lacks {len(pending)} migration(s) of this "
            f"release ({example}{', ...' if len(pending) > 3 else ''}); a tenant copied from "
            "it would be missing them. Run `manage.py migrate_all`, then try again.")
    return template
