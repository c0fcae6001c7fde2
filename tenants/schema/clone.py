"""The fallback copy: django-tenants' ``clone_schema()`` (pg-clone-schema, in PL/pgSQL).

Slower than the replay and not identical to the template (unique constraints renamed,
``integer`` sequences turned ``bigint``), but it copies object kinds the replay refuses
(views, functions, triggers, ...); see docs/architecture.md."""

from __future__ import annotations

from django.db import connection, transaction
from django_tenants.clone import CloneSchema

# Any constant: the key of a transaction-level advisory lock serialising clones.
_CLONE_LOCK = 0x5AA5_C10E


def clone(template: str, schema_name: str) -> None:
    """Copy ``template`` (structure and rows) to a new schema ``schema_name``.

    One transaction: a clone that fails halfway leaves no schema behind. django-tenants
    re-creates its clone_schema() functions on every call, and two concurrent calls collide
    on the catalog ("duplicate key ... cloneparms"), hence the lock."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CLONE_LOCK])
        CloneSchema().clone_schema(template, schema_name, "DATA", set_connection=True)
