"""``manage.py migrate_all``: the one migration command of a release. Migrates ``public``, then
the template schema new tenants are cloned from, then every tenant that has a schema.

Schemas already up to date are skipped after one query each (see tenants/migration_state.py),
so a restart with nothing to migrate costs well under a second even with many tenants."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants.migration_state import is_up_to_date
from tenants.models import Tenant, TenantState
from tenants.schema.migrate import schema_migrate
from tenants.schema.template import template_ensure


class Command(BaseCommand):
    help = "Migrate public, the tenant template schema and every tenant schema."

    def handle(self, *args, **options) -> None:
        verbosity = options["verbosity"]
        if not is_up_to_date(settings.PUBLIC_SCHEMA_NAME):
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        if not is_up_to_date(settings.TENANT_TEMPLATE_SCHEMA):
            template_ensure(verbosity=verbosity)
        schemas = list(Tenant.objects.exclude(
            state__in=[TenantState.ARCHIVED, TenantState.PROVISIONING]
        ).values_list("schema_name", flat=True))
        migrated = 0
        for schema_name in schemas:
            if not is_up_to_date(schema_name):
                schema_migrate(schema_name, verbosity=verbosity)
                migrated += 1
        self.stdout.write(self.style.SUCCESS(
            f"Schemas up to date: public, the template and {len(schemas)} tenant(s) "
            f"({migrated} migrated now)."))
