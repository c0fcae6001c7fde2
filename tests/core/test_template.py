"""The template schema new tenants are copied from is never copied stale, and every migrate run
keeps it current."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_exists

from tenants.migration_state import is_up_to_date, pending_migrations
from tenants.models import Tenant
from tenants.provisioning import ProvisioningFailed, tenant_provision
from tenants.schema.template import TemplateOutOfDate

TEMPLATE = "tenant_template"


def _make_template_stale() -> None:
    """The template as a release left it when only ``migrate`` ran before: one tenant app's
    migrations (here the sessions table) are missing."""
    call_command("migrate_schemas", "sessions", "zero", schema_name=TEMPLATE,
                 interactive=False, verbosity=0, stdout=io.StringIO())
    connection.set_schema_to_public()
    assert ("sessions", "0001_initial") in pending_migrations(TEMPLATE)


@pytest.mark.parametrize("method", ["replay", "clone"])
def test_provisioning_refuses_to_copy_a_stale_template_and_names_the_fix(db, method):
    _make_template_stale()

    with pytest.raises(ProvisioningFailed) as excinfo:
        tenant_provision(slug=f"late-{method}", name="Late", owner_email="o@late.example",
                         schema_method=method)

    assert excinfo.value.step == "create_schema" and excinfo.value.rolled_back
    cause = excinfo.value.cause
    assert isinstance(cause, TemplateOutOfDate)
    assert "manage.py migrate_all" in str(cause) and "sessions.0001_initial" in str(cause)
    assert not Tenant.objects.filter(slug=f"late-{method}").exists()
    assert not schema_exists(f"t_late_{method}")


def test_a_missing_migration_row_is_enough_to_refuse(db):
    """However the template fell behind: its migration table is what is checked."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TEMPLATE}.django_migrations "  # noqa: S608
                       "WHERE app = 'sessions' AND name = '0001_initial'")
    with pytest.raises(ProvisioningFailed, match="migrate_all"):
        tenant_provision(slug="norow", name="No row", owner_email="o@norow.example")


def test_the_migrate_method_needs_no_template(db):
    _make_template_stale()
    ctx = tenant_provision(slug="by-migrations", name="M", owner_email="o@m.example",
                           schema_method="migrate")
    assert ctx.tenant.state == "active" and is_up_to_date("t_by_migrations")


def test_plain_migrate_brings_the_template_up_to_date(db):
    _make_template_stale()
    out = io.StringIO()

    call_command("migrate", interactive=False, verbosity=1, stdout=out)

    connection.set_schema_to_public()
    assert is_up_to_date(TEMPLATE)
    assert "Template schema tenant_template migrated" in out.getvalue()
    ctx = tenant_provision(slug="after-migrate", name="After", owner_email="o@after.example")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('t_after_migrate.django_session') IS NOT NULL")
        assert cursor.fetchone()[0]
    assert ctx.tenant.state == "active"


def test_migrate_schemas_shared_brings_the_template_up_to_date_too(db):
    _make_template_stale()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0,
                 stdout=io.StringIO())
    connection.set_schema_to_public()
    assert is_up_to_date(TEMPLATE)


def test_migrate_leaves_a_current_template_alone(db):
    assert is_up_to_date(TEMPLATE)
    out = io.StringIO()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=1, stdout=out)
    assert "Template schema" not in out.getvalue()
