"""The one gate a schema name passes before it reaches SQL text."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection

from tenants.slugs import SLUG_PATTERN

# A ready schema of the pool (tenants.pool), renamed to t_<slug> when a tenant claims it.
POOL_SCHEMA = re.compile(r"pool_[0-9a-f]{12}")


def quote(schema_name: str) -> str:
    """``schema_name`` quoted for SQL; ValueError unless it is the template's or a tenant's.

    Schema names reaching SQL text are always derived from a validated slug ("t_" + [a-z0-9_])
    or a setting; this check makes sure nothing else ever gets here."""
    if not (schema_name == settings.TENANT_TEMPLATE_SCHEMA
            or POOL_SCHEMA.fullmatch(schema_name) or (
            schema_name.startswith("t_")
            and SLUG_PATTERN.match(schema_name[2:].replace("_", "-")))):
        raise ValueError(f"Refusing to use {schema_name!r} as a tenant schema name")
    return connection.ops.quote_name(schema_name)
