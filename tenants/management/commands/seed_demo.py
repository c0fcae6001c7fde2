"""``manage.py seed_demo``: the demo tenants ``acme`` and ``globex`` with an owner each, and a
demo operator for the console on the public host. Idempotent: an existing tenant or operator is
left as it is."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django_tenants.utils import schema_context

from tenant_apps.core.contract import tenant_app_contracts
from tenants.models import Tenant
from tenants.provisioning import tenant_provision

# A demo operator (staff, and superuser so the raw-data admin is reachable too). Its password
# is printed in the banner: for `make run` only, never a deployment.
DEMO_OPERATOR = ("operator@platform.example", "operator-demo-password")
DEMO_TENANTS = [
    ("acme", "Acme Corporation", "owner@acme.example", "acme-demo-password"),
    ("globex", "Globex Corporation", "owner@globex.example", "globex-demo-password"),
]


class Command(BaseCommand):
    help = "Create the demo tenants acme and globex and a demo operator (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default="8000", help="Port shown in the printed URLs.")

    def handle(self, *args, port: str, **options) -> None:
        for slug, name, email, password in DEMO_TENANTS:
            if not Tenant.objects.filter(slug=slug).exists():
                tenant_provision(slug=slug, name=name, owner_email=email,
                                 owner_password=password)
            self.after_seed(slug)
        operator_email, operator_password = DEMO_OPERATOR
        self.operator_ensure(operator_email, operator_password)
        base = settings.BASE_DOMAIN
        lines = [
            "",
            "The platform is running:",
            f"  Public site        http://{base}:{port}/",
            f"  Operator console   http://{base}:{port}/console/   "
            f"{operator_email} / {operator_password}",
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

    @staticmethod
    def operator_ensure(email: str, password: str) -> None:
        """The demo operator in ``public`` (created once; an existing account is kept)."""
        from shared_apps.accounts.models import User

        if not User.objects.filter(email__iexact=email).exists():
            User.objects.create_user(email=email, password=password, is_staff=True,
                                     is_superuser=True)

    def after_seed(self, slug: str) -> None:
        """Run each tenant app's demo seeder (from its contract) in the tenant's schema; each
        seeder is idempotent. A seeder that does not resolve is an error, not a skip."""
        seeders = [c.seeder() for c in tenant_app_contracts() if c.demo_seeder]
        tenant = Tenant.objects.get(slug=slug)
        with schema_context(tenant.schema_name):
            for seed in seeders:
                seed()
