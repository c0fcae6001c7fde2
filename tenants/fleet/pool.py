"""A pool of ready tenant schemas: creating a tenant claims one instead of copying the template.

``pool_fill()`` (the ``tenants.pool_refill`` task: every minute from beat, and after each claim)
keeps ``TENANT_POOL_SIZE`` replays of the template, named ``pool_<hex>``, each recorded in
``PoolSchema`` with the code's tenant migrations at the time. A claim (``pool_claim``), inside
the caller's transaction, takes the oldest current one with ``FOR UPDATE SKIP LOCKED`` -- two
concurrent sign-ups never get the same schema, and neither waits for the other -- deletes its
row and renames the schema to the tenant's: a catalog update, milliseconds, whatever the schema
holds. A schema made by an older release (its migrations hash differs) is never claimed and is
dropped by the next fill (and by ``migrate_all``). With the pool empty or disabled
(``TENANT_POOL_SIZE = 0``) provisioning copies the template as before.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.conf import settings
from django.db import connection

from tenants.fleet.models import PoolSchema
from tenants.fleet.status import expected_migrations
from tenants.locks import run_lock
from tenants.schema.create import schema_create, schema_drop
from tenants.schema.names import quote

logger = logging.getLogger(__name__)


def migrations_hash() -> str:
    return hashlib.md5(",".join(expected_migrations()["tenant"]).encode(),
                       usedforsecurity=False).hexdigest()


def pool_claim(schema_name: str) -> bool:
    """Rename a ready pool schema to ``schema_name``; False when none is ready. Must run inside
    the caller's transaction (the claim commits or rolls back with the tenant's row)."""
    assert connection.in_atomic_block, "pool_claim runs inside the provisioning transaction"
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM tenants_poolschema WHERE id = ("
            "  SELECT id FROM tenants_poolschema WHERE migrations_hash = %s"
            "   ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING schema_name",
            [migrations_hash()])
        row = cursor.fetchone()
        if row is None:
            return False
        cursor.execute(f"ALTER SCHEMA {quote(row[0])} RENAME TO {quote(schema_name)}")
    return True


def pool_drop_stale() -> int:
    """Drop pool schemas made for other migrations, and ``pool_*`` schemas without a row (a
    fill killed between creating the schema and recording it). Returns how many."""
    current = migrations_hash()
    dropped = 0
    for pool in PoolSchema.objects.exclude(migrations_hash=current):
        schema_drop(pool.schema_name)
        pool.delete()
        dropped += 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname ~ '^pool_[0-9a-f]{12}$' "
                       "AND nspname NOT IN (SELECT schema_name FROM tenants_poolschema)")
        orphans = [row[0] for row in cursor.fetchall()]
    for schema in orphans:
        schema_drop(schema)
        dropped += 1
    return dropped


def pool_fill(*, size: int | None = None) -> int:
    """Top the pool up to ``size`` (default ``TENANT_POOL_SIZE``) ready schemas; returns how
    many were made. One filler at a time (another one running: returns 0 at once)."""
    size = settings.TENANT_POOL_SIZE if size is None else size
    made = 0
    connection.set_schema_to_public()
    with run_lock("pool_fill") as held:
        if not held:
            return 0
        pool_drop_stale()
        current = migrations_hash()
        while PoolSchema.objects.filter(migrations_hash=current).count() < size:
            schema_name = f"pool_{secrets.token_hex(6)}"
            schema_create(schema_name)
            connection.set_schema_to_public()
            PoolSchema.objects.create(schema_name=schema_name, migrations_hash=current)
            made += 1
    return made


def pool_ready() -> int:
    return PoolSchema.objects.filter(migrations_hash=migrations_hash()).count()
