"""Run by tests/fleet/test_migrate_all.py in a subprocess (test settings, FLEET_PROBE_MIGRATIONS):
``python -m tests.fleet.driver tenants N`` provisions tenants fleet1..N;
``python -m tests.fleet.driver state`` prints, last, one JSON object with every schema's
structural fingerprint and migration rows."""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.test")
    import django

    django.setup()
    from django.db import connection

    if argv[0] == "tenants":
        from tenants.provisioning import tenant_provision

        for i in range(1, int(argv[1]) + 1):
            tenant_provision(slug=f"fleet{i}", name=f"Fleet {i}",
                             owner_email=f"owner@fleet{i}.test", owner_password="pw-long-1234")
    elif argv[0] == "reference":
        # A schema made by Django's migrations alone, from nothing, for comparison.
        from tenants.provisioning import tenant_provision

        tenant_provision(slug=argv[1], name="Reference", owner_email="owner@ref.test",
                         owner_password="pw-long-1234", schema_method="migrate")
    elif argv[0] == "state":
        from tests.schema_fingerprint import schema_fingerprint

        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%%' "
                           "OR nspname = 'tenant_template' ORDER BY 1")
            schemas = [row[0] for row in cursor.fetchall()]
        state = {}
        for schema in schemas:
            fingerprint = schema_fingerprint(schema, with_rows=False)
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608
                migrations = sorted(f"{a}.{n}" for a, n in cursor.fetchall())
                cursor.execute(f'SELECT ct.app_label, ct.model, p.codename FROM "{schema}"'  # noqa: S608
                               f'.django_content_type ct LEFT JOIN "{schema}".auth_permission p '
                               "ON p.content_type_id = ct.id")
                content = sorted(map(repr, cursor.fetchall()))
            state[schema] = {"fingerprint": repr(sorted(fingerprint.items())),
                             "migrations": migrations, "content": content}
        print(json.dumps(state))
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
