"""Accounts created before allauth get their address as the primary, verified EmailAddress row
(new accounts get it when they are created: shared_apps/accounts/signals.py). Plain SQL, so that
``migrate_all`` can plan it once and apply it to every tenant."""

from django.db import migrations

FORWARD = """
INSERT INTO account_emailaddress (user_id, email, verified, "primary")
SELECT u.id, lower(u.email), true, true
  FROM accounts_user u
 WHERE u.email <> ''
   AND NOT EXISTS (SELECT 1 FROM account_emailaddress e WHERE e.user_id = u.id);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_mfa_unique_index_as_or"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
