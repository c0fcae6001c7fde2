"""The console's tenant fields: first owner's e-mail (searchable), suspension reason, last
activity. Existing tenants get their owner's e-mail from their own schema."""

from django.db import migrations, models


def backfill_owner_email(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    connection = schema_editor.connection
    q = connection.ops.quote_name
    for tenant in Tenant.objects.exclude(state="archived").exclude(schema_name="public"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
                           "AND table_name = 'accounts_user'", [tenant.schema_name])
            if cursor.fetchone() is None:
                continue
            cursor.execute(f"SELECT email FROM {q(tenant.schema_name)}.accounts_user "  # noqa: S608
                           "WHERE role = 'owner' ORDER BY id LIMIT 1")
            row = cursor.fetchone()
        if row:
            Tenant.objects.filter(pk=tenant.pk).update(owner_email=row[0])


class Migration(migrations.Migration):
    dependencies = [("tenants", "0005_domain_verification")]

    operations = [
        migrations.AddField(
            model_name="tenant", name="owner_email",
            field=models.EmailField(blank=True, db_index=True, default="", max_length=254)),
        migrations.AddField(
            model_name="tenant", name="suspension_reason",
            field=models.CharField(blank=True, default="", max_length=500)),
        migrations.AddField(
            model_name="tenant", name="last_activity_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True)),
        migrations.RunPython(backfill_owner_email, migrations.RunPython.noop),
    ]
