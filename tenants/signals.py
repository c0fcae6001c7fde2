"""Signal receivers of the tenants app.

* Any change to a Tenant or Domain invalidates every process's host routes (after commit, so
  another process never re-caches the old row).
* Every ``migrate`` / ``migrate_schemas`` run that migrates ``public`` also brings the template
  schema up to date, so a tenant copied from it afterwards is never missing a migration.
"""

import sys

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.fleet.plan import template_migration_is_deferred
from tenants.migration_state import is_up_to_date
from tenants.models import Domain, Tenant
from tenants.routing import host_router
from tenants.schema.template import template_ensure


@receiver([post_save, post_delete], sender=Tenant, dispatch_uid="routing_tenant_changed")
@receiver([post_save, post_delete], sender=Domain, dispatch_uid="routing_domain_changed")
def invalidate_routes(**_kwargs) -> None:
    transaction.on_commit(host_router.invalidate)


def migrate_template_after_public(*, using: str = DEFAULT_DB_ALIAS, plan=None,
                                  verbosity: int = 1, stdout=None, **_kwargs) -> None:
    """``post_migrate`` receiver, connected for the tenants app only (so it runs once per
    migrate run, not once per app). django-tenants' ``migrate`` and ``migrate_schemas`` migrate
    ``public`` and every tenant in the registry, but not the template, which is no tenant.

    Skipped for ``flush`` (which sends post_migrate without a plan), for a run that unapplies
    migrations (someone moving public back on purpose), for a migrate run inside a tenant
    schema (the template's own run included) and when the template is already current."""
    if (plan is None or using != DEFAULT_DB_ALIAS or template_migration_is_deferred()
            or connection.schema_name != settings.PUBLIC_SCHEMA_NAME
            or any(backwards for _migration, backwards in plan)
            or is_up_to_date(settings.TENANT_TEMPLATE_SCHEMA)):
        return
    template_ensure()
    if verbosity >= 1:
        (stdout or sys.stdout).write(
            f"  Template schema {settings.TENANT_TEMPLATE_SCHEMA} migrated.\n")
