"""``manage.py seed_demo``: the demo tenants ``acme`` and ``globex`` with an owner each.
Idempotent: an existing tenant is left as it is."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django_tenants.utils import schema_context

from tenant_apps.core.contract import tenant_app_contracts
from tenants.models import Tenant
from tenants.provisioning import tenant_provision

DEMO_TENANTS = [
    ("acme", "Acme Corporation", "owner@acme.example", "acme-demo-password"),
    ("globex", "Globex Corporation", "owner@globex.example", "globex-demo-password"),
]


class Command(BaseCommand):
    help = "Create the demo tenants acme and globex (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default="8000", help="Port shown in the printed URLs.")

    def handle(self, *args, port: str, **options) -> None:
        for slug, name, email, password in DEMO_TENANTS:
            if not Tenant.objects.filter(slug=slug).exists():
                tenant_provision(slug=slug, name=name, owner_email=email,
                                 owner_password=password)
            self.after_seed(slug)
        base = settings.BASE_DOMAIN
        lines = [
            "",
            "The platform is running:",
            f"  Public site        http://{base}:{port}/",
            f"  Operator console   http://{base}:{port}/console/   "
            "(create an operator: .venv/bin/python manage.py createsuperuser)",
        ]
        if settings.DEBUG and getattr(settings, "EMAIL_FILE_PATH", None):
            # The dev settings' file backend: password resets and verifications, clickable.
            lines.append(f"  Sent e-mail        http://{base}:{port}/dev/mail/   "
                         f"(files in {settings.EMAIL_FILE_PATH})")
        for slug, _name, email, password in DEMO_TENANTS:
            lines.append(f"  {slug:<18} http://{slug}.{base}:{port}/   {email} / {password}")
        lines.append("  Health             "
                     f"http://{base}:{port}/healthz   http://{base}:{port}/readyz")
        lines.append("Press Ctrl-C to stop.")
        self.stdout.write("\n".join(lines) + "\n")

    def after_seed(self, slug: str) -> None:
        """Run each tenant app's demo seeder (from its contract) in the tenant's schema; each
        seeder is idempotent. A seeder that does not resolve is an error, not a skip."""
        seeders = [c.seeder() for c in tenant_app_contracts() if c.demo_seeder]
        tenant = Tenant.objects.get(slug=slug)
        with schema_context(tenant.schema_name):
            for seed in seeders:
                seed()
