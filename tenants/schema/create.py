"""Creating and dropping tenant schemas: ``schema_create()`` by ``TENANT_SCHEMA_METHOD``.

``replay`` (the default) and ``clone`` copy the template, which must be at the code's
migrations (``template_require_current``); ``migrate`` runs every migration and needs no
template. The replay falls back to the clone for a template it cannot reproduce."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection

from tenants.distribution import local_schema_creation, schema_distribute
from tenants.schema.clone import clone
from tenants.schema.migrate import schema_create_by_migrations
from tenants.schema.names import quote
from tenants.schema.replay import UnsupportedTemplate, replay
from tenants.schema.template import template_require_current

logger = logging.getLogger(__name__)


def schema_drop(schema_name: str) -> None:
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # Deferred foreign-key checks queued earlier in this transaction on the schema's
            # tables would block the DROP ("pending trigger events").
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote(schema_name)} CASCADE")


def schema_create_by_clone(schema_name: str) -> None:
    clone(template_require_current(), schema_name)


def schema_create_by_replay(schema_name: str) -> None:
    """A copy of the template (structure and rows), in one transaction; cloned instead when
    the template holds objects the replay does not reproduce (slower, never short)."""
    template = template_require_current()
    try:
        replay(template, schema_name)
    except UnsupportedTemplate as exc:
        logger.warning("Replay cannot copy the template (%s); cloning instead", exc)
        clone(template, schema_name)


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
    # On Citus: made as a plain schema, then distributed whole (tenants/distribution.py).
    with local_schema_creation():
        create(schema_name)
    schema_distribute(schema_name)
