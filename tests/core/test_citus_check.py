"""manage.py citus_check: the project's own migrations pass; each problem it knows is found."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import migrations, models

from tenants.citus_check import check_migration, check_project


def test_the_projects_own_migrations_are_citus_compatible(capsys):
    call_command("citus_check")
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out


def test_djangos_contrib_apps_only_warn_about_integer_keys():
    findings = check_project(include_third_party=True)
    assert findings and {f.severity for f in findings} == {"warning"}
    assert {f.code for f in findings} == {"non-bigint-key"}


def _migration(*operations, app_label="inventory"):
    migration = migrations.Migration("9999_probe", app_label)
    migration.operations = list(operations)
    return migration


def _codes(*operations) -> list[str]:
    return [f.code for f in check_migration(_migration(*operations))]


def test_integer_primary_key_is_a_warning_bigint_is_fine():
    assert _codes(migrations.CreateModel("Thing", [
        ("id", models.AutoField(primary_key=True))])) == ["non-bigint-key"]
    assert _codes(migrations.CreateModel("Thing", [
        ("id", models.BigAutoField(primary_key=True))])) == []


def test_foreign_key_to_a_public_only_model_is_an_error():
    assert _codes(migrations.AddField("product", "owner_tenant", models.ForeignKey(
        "tenants.tenant", on_delete=models.CASCADE))) == ["fk-leaves-tenant"]
    # Tenant-side targets are fine, the user model included.
    assert _codes(migrations.AddField("product", "creator", models.ForeignKey(
        "accounts.user", on_delete=models.CASCADE))) == []


@pytest.mark.parametrize("sql", [
    "DO $$ BEGIN CREATE TABLE extra (id bigint); END $$;",
    "DO $body$BEGIN EXECUTE 'x'; ALTER TABLE product ADD COLUMN y int; END$body$",
    "CREATE OR REPLACE FUNCTION mk() RETURNS void AS $$ BEGIN CREATE INDEX i ON t (a); END $$ "
    "LANGUAGE plpgsql;",
])
def test_ddl_inside_do_blocks_and_functions_is_an_error(sql):
    assert _codes(migrations.RunSQL(sql)) == ["do-block-ddl"]


def test_plain_ddl_and_dml_in_do_blocks_are_fine():
    assert _codes(migrations.RunSQL("CREATE INDEX i ON t (a);",
                                    "DROP INDEX i;")) == []
    assert _codes(migrations.RunSQL("DO $$ BEGIN UPDATE t SET a = 1; END $$;")) == []


def test_sequence_reset_and_set_constraints_are_errors():
    reset = ("SELECT setval(pg_get_serial_sequence('\"t\"','id'), coalesce(max(\"id\"), 1), "
             "max(\"id\") IS NOT null) FROM \"t\";")
    assert _codes(migrations.RunSQL([(reset, None)])) == ["sequence-reset"]
    assert _codes(migrations.RunSQL("SET CONSTRAINTS ALL IMMEDIATE;")) == ["set-constraints"]
    # Inside SeparateDatabaseAndState too.
    assert _codes(migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunSQL(reset)])) == ["sequence-reset"]


def test_an_error_fails_the_command(monkeypatch):
    from tenants import citus_check

    bad = citus_check.Finding("error", "sequence-reset", "inventory.9999_probe", "x")
    monkeypatch.setattr("tenants.management.commands.citus_check.check_project",
                        lambda **_: [bad])
    with pytest.raises(CommandError, match="1 error"):
        call_command("citus_check")
