"""Audit entries cannot be changed or removed by the application's own database role, in public
and in every tenant schema (a freshly provisioned one included); only the retention purge
removes old entries, and it is logged."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from shared_apps.audit.models import PlatformAuditEntry
from shared_apps.audit.services import platform_audit, platform_audit_purge
from tenant_apps.core.models import TenantAuditEntry
from tenant_apps.core.services.audit import tenant_audit, tenant_audit_purge


def _refused(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as info, transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(info.value)


def _insert_old(table: str, action: str, days: int) -> None:
    # Entries are never updated, so an old one can only be written old.
    extra = ", impersonator" if table.startswith("core") else ""
    value = ", ''" if extra else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (at, actor, action, target, detail, ip{extra}) "  # noqa: S608
            f"VALUES (%s, 'old@x.test', %s, '', '{{}}', ''{value})",
            [timezone.now() - timedelta(days=days), action])


def test_public_entries_refuse_update_and_delete_by_the_application_role(db):
    entry = platform_audit("tenant.suspend", target="acme")
    message = _refused("UPDATE platform_audit_platformauditentry SET actor = 'someone else'")
    assert "append-only" in message and "UPDATE" in message
    assert "append-only" in _refused(
        "DELETE FROM platform_audit_platformauditentry WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        PlatformAuditEntry.objects.filter(pk=entry.pk).update(action="tenant.activate")
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.delete()
    assert PlatformAuditEntry.objects.get(pk=entry.pk).action == "tenant.suspend"


def test_tenant_entries_refuse_update_and_delete(db, in_tenant):
    with in_tenant("acme"):
        entry = tenant_audit("api_key.create", target="k")
        assert "append-only" in _refused("UPDATE core_tenantauditentry SET target = 'x'")
        assert "append-only" in _refused("DELETE FROM core_tenantauditentry")
        assert TenantAuditEntry.objects.filter(pk=entry.pk, target="k").exists()


def test_the_purge_setting_cannot_remove_recent_entries(db, in_tenant):
    """Even code that sets the purge's own setting to "now" cannot erase the last 30 days."""
    with in_tenant("globex"):
        tenant_audit("api_key.revoke", target="recent")
        _refused("SELECT set_config('audit.purge_before', %s, true); "
                 "DELETE FROM core_tenantauditentry",
                 [(timezone.now() + timedelta(days=1)).isoformat()])
        assert TenantAuditEntry.objects.filter(target="recent").exists()


def test_a_freshly_provisioned_tenant_has_the_trigger(scratch_tenant):
    tenant = scratch_tenant()
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                       "WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal",
                       [tenant.schema_name])
        assert [r[0] for r in cursor.fetchall()] == ["core_tenantauditentry_append_only"]
    connection.set_tenant(tenant)
    try:
        tenant_audit("workspace.settings_change", target="workspace")
        assert "append-only" in _refused("DELETE FROM core_tenantauditentry")
    finally:
        connection.set_schema_to_public()


def test_purge_removes_only_entries_past_the_retention_and_logs_itself(db, in_tenant, settings):
    settings.AUDIT_RETENTION_DAYS = 90
    _insert_old("platform_audit_platformauditentry", "tenant.old", 120)
    _insert_old("platform_audit_platformauditentry", "tenant.kept", 60)
    assert platform_audit_purge() == 1
    actions = set(PlatformAuditEntry.objects.values_list("action", flat=True))
    assert "tenant.old" not in actions and "tenant.kept" in actions
    purge = PlatformAuditEntry.objects.get(action="audit.purge")
    assert (purge.actor, purge.detail["deleted"], purge.detail["retention_days"]) == (
        "system", 1, 90)
    assert platform_audit_purge() == 0  # nothing left to purge: no new entry
    assert PlatformAuditEntry.objects.filter(action="audit.purge").count() == 1

    with in_tenant("acme"):
        _insert_old("core_tenantauditentry", "api_key.old", 400)
        _insert_old("core_tenantauditentry", "api_key.kept", 20)
        assert tenant_audit_purge() == 1
        assert set(TenantAuditEntry.objects.values_list("action", flat=True)) >= {
            "api_key.kept", "audit.purge"}
        assert not TenantAuditEntry.objects.filter(action="api_key.old").exists()
    with in_tenant("globex"):
        assert not TenantAuditEntry.objects.filter(action="audit.purge").exists()
