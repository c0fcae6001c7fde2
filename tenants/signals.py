"""Any change to a Tenant or Domain invalidates every process's host routes (after commit, so
another process never re-caches the old row)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.models import Domain, Tenant
from tenants.routing import host_router


@receiver([post_save, post_delete], sender=Tenant, dispatch_uid="routing_tenant_changed")
@receiver([post_save, post_delete], sender=Domain, dispatch_uid="routing_domain_changed")
def invalidate_routes(**_kwargs) -> None:
    transaction.on_commit(host_router.invalidate)
