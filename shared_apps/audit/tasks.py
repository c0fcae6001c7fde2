from celery import shared_task
from django.db import OperationalError

from shared_apps.audit.services import platform_audit_purge


@shared_task(name="platform_audit.purge", acks_late=True,
             autoretry_for=(OperationalError, ConnectionError), retry_backoff=True, max_retries=5)
def purge() -> int:
    """Daily, in public: the platform log's entries older than AUDIT_RETENTION_DAYS (each
    tenant's log is purged by core.audit_purge, fanned out to every tenant)."""
    return platform_audit_purge()
