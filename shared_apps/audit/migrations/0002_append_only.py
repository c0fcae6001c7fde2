"""The platform log becomes append-only at the database (tenant_apps/core/audit_immutability.py).
The trigger function is created here, in public, once; each tenant schema's trigger calls it."""

from django.db import migrations

from tenant_apps.core.audit_immutability import (
    DROP_FUNCTION_SQL,
    FUNCTION_SQL,
    drop_trigger_sql,
    trigger_sql,
)

TABLE = "platform_audit_platformauditentry"


class Migration(migrations.Migration):

    dependencies = [
        ("platform_audit", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION_SQL, DROP_FUNCTION_SQL),
        migrations.RunSQL(trigger_sql(TABLE), drop_trigger_sql(TABLE)),
    ]
