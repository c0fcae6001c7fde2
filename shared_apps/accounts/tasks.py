"""Periodic session clean-up: the beat job fans out one task per active tenant, each clearing
expired sessions in its own schema (sessions are per schema)."""

from celery import shared_task
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from tenants.selectors import tenants_active


@shared_task(name="accounts.clear_expired_sessions", acks_late=True,
             autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def clear_expired_sessions() -> dict:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"schema": connection.schema_name, "deleted": deleted}


@shared_task(name="accounts.fan_out_clear_expired_sessions", acks_late=True)
def fan_out_clear_expired_sessions() -> int:
    count = 0
    for tenant in tenants_active().only("schema_name"):
        clear_expired_sessions.apply_async(headers={"_schema_name": tenant.schema_name})
        count += 1
    Session.objects.filter(expire_date__lt=timezone.now()).delete()  # public's own
    return count
