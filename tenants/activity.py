"""``Tenant.last_activity_at``, kept cheaply: each process remembers when it last wrote it for a
tenant and writes again only after ``TENANT_ACTIVITY_WRITE_SECONDS`` (default 5 minutes). A warm
request costs a dict lookup and a clock read; the write itself is one conditional UPDATE that
touches no row when another process wrote recently. It bypasses ``save()`` on purpose: no
``updated_at`` bump and no signal, so the routing caches are not invalidated by traffic."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

_written_at: dict[int, float] = {}


def activity_touch(tenant) -> None:
    interval = getattr(settings, "TENANT_ACTIVITY_WRITE_SECONDS", 300)
    now = time.monotonic()
    last = _written_at.get(tenant.pk)
    if last is not None and now - last < interval:
        return
    _written_at[tenant.pk] = now
    from tenants.models import Tenant

    q = connection.ops.quote_name
    # Public's table named outright: the connection may be in another tenant's schema, whose
    # search_path holds that schema alone (tenants/postgresql_backend).
    table = f"{q(settings.PUBLIC_SCHEMA_NAME)}.{q(Tenant._meta.db_table)}"
    # SKIP LOCKED: a row another transaction is changing (an operator suspending the tenant)
    # is left alone rather than waited for; a request never queues behind bookkeeping.
    sql = (f"UPDATE {table} SET {q('last_activity_at')} = now() "  # noqa: S608 (quoted names)
           f"WHERE {q('id')} = (SELECT {q('id')} FROM {table} WHERE {q('id')} = %s "
           f"AND ({q('last_activity_at')} IS NULL "
           f"OR {q('last_activity_at')} < now() - make_interval(secs => %s)) "
           "FOR UPDATE SKIP LOCKED)")
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, [tenant.pk, interval])
    except DatabaseError:
        # Bookkeeping only: never fail a request for it (the next interval tries again).
        logger.warning("Could not record activity of tenant %s", tenant.pk, exc_info=True)


def activity_forget() -> None:
    """For tests: forget when this process last wrote."""
    _written_at.clear()
