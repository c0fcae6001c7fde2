"""allauth.mfa's partial unique index ``unique_authenticator_type`` rewritten with an equivalent
predicate that PostgreSQL reads back unchanged.

Django writes the condition as ``type IN ('totp', 'recovery_codes')``, which PostgreSQL stores as
``type = ANY ((ARRAY['totp'::varchar, …])::text[])``; printed and parsed again (what the
``replay`` schema copy does, tenants/schema/replay.py) that becomes ``ARRAY[('totp'::varchar)::text,
…]``: the same rows, another expression tree. Every replayed tenant would then differ from the
template by catalog hash, and ``migrate_all`` would migrate each one the slow way. The ``OR`` form
below prints and parses to itself. Django's model state keeps allauth's definition (same name,
same rows), so allauth's later migrations that drop or change it by name still apply."""

from django.db import migrations

FORWARD = """
DROP INDEX IF EXISTS unique_authenticator_type;
CREATE UNIQUE INDEX unique_authenticator_type ON mfa_authenticator (user_id, type)
    WHERE (type = 'totp' OR type = 'recovery_codes');
"""
BACKWARD = """
DROP INDEX IF EXISTS unique_authenticator_type;
CREATE UNIQUE INDEX unique_authenticator_type ON mfa_authenticator (user_id, type)
    WHERE type IN ('totp', 'recovery_codes');
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
