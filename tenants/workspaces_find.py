"""Find my workspace: which workspaces have an active account with a given e-mail address,
across every active tenant's schema, and the e-mail that lists them (sent by the Celery task
``tenants.find_workspaces``; the public page never says what was found).

One SQL statement per batch of ``BATCH`` schemas (a ``UNION ALL`` of index lookups on each
schema's unique ``accounts_user.email``), not one query per tenant: 5,000 tenants are 10 round
trips. Schema names come from the registry (validated slugs) and are quoted; the address is a
bound parameter."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from tenant_apps.core.mail import email_send
from tenants.models import Tenant, TenantState

BATCH = 500


def workspaces_of_email(email: str) -> list[Tenant]:
    email = email.strip().lower()
    tenants = list(Tenant.objects.filter(state=TenantState.ACTIVE).order_by("slug")
                   .only("pk", "slug", "name", "schema_name"))
    found: set[int] = set()
    quote = connection.ops.quote_name
    for start in range(0, len(tenants), BATCH):
        batch = tenants[start:start + BATCH]
        sql = " UNION ALL ".join(
            f"(SELECT {int(t.pk)} FROM {quote(t.schema_name)}.accounts_user "  # noqa: S608
            "WHERE email = %s AND is_active LIMIT 1)" for t in batch)
        with connection.cursor() as cursor:
            cursor.execute(sql, [email] * len(batch))
            found.update(row[0] for row in cursor.fetchall())
    return [t for t in tenants if t.pk in found]


def workspaces_email_send(*, email: str, scheme: str, port: str) -> int:
    email = email.strip().lower()
    tenants = workspaces_of_email(email)
    if not tenants:
        return 0
    suffix = f":{port}" if port else ""
    workspaces = [{"name": t.name, "url": f"{scheme}://{t.slug}.{settings.BASE_DOMAIN}{suffix}/"}
                  for t in tenants]
    email_send(to=[email], subject="Your workspaces", template="find_workspaces",
               context={"workspaces": workspaces, "email": email})
    return len(tenants)
