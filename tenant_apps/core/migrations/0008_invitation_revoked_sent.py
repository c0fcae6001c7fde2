from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0007_workspacesettings_support_access"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="invitation",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
