"""This workspace's audit log becomes append-only at the database: a trigger calling the function
public.audit_append_only() (created by the platform log's migration, which runs in public before
any tenant schema is migrated); see tenant_apps/core/audit_immutability.py."""

from django.db import migrations

from tenant_apps.core.audit_immutability import tenant_drop_trigger_sql, tenant_trigger_sql

TABLE = "core_tenantauditentry"


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0005_tenantauditentry"),
        ("platform_audit", "0002_append_only"),
    ]

    operations = [
        migrations.RunSQL(tenant_trigger_sql(TABLE), tenant_drop_trigger_sql(TABLE)),
    ]
