"""``manage.py tenant create|list|suspend|activate|delete``: the operators' command line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from saas_platform.errors import PlatformError
from tenants.provisioning import ProvisioningFailed, tenant_provision
from tenants.selectors import tenant_list
from tenants.services import tenant_activate, tenant_delete, tenant_suspend


class Command(BaseCommand):
    help = "Create, list, suspend, activate and delete tenants."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        create = sub.add_parser("create", help="Provision a new tenant.")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        create.add_argument("--owner-email", required=True)
        create.add_argument("--owner-password", help="Generated and printed when omitted.")
        create.add_argument("--domain", action="append", default=[], dest="domains",
                            help="A custom domain (repeatable).")
        create.add_argument("--method", choices=["clone", "migrate"], default=None,
                            help="How to create the schema (default: TENANT_SCHEMA_METHOD).")
        create.add_argument("--resume", action="store_true",
                            help="Carry on an interrupted provisioning of SLUG.")

        listing = sub.add_parser("list", help="List tenants as a table.")
        listing.add_argument("--state", choices=["provisioning", "active", "suspended",
                                                 "archived"])

        for action in ("suspend", "activate"):
            sub.add_parser(action, help=f"{action.capitalize()} a tenant.").add_argument("slug")

        delete = sub.add_parser("delete", help="Delete a tenant and ALL its data.")
        delete.add_argument("slug")
        delete.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, action: str, **options) -> None:
        self.verbosity = options["verbosity"]
        try:
            getattr(self, f"_{action}")(**options)
        except PlatformError as exc:
            details = "; ".join(f"{f}: {' '.join(m)}" for f, m in exc.fields.items())
            raise CommandError(f"{exc.message}{' (' + details + ')' if details else ''}") from exc
        except ProvisioningFailed as exc:
            raise CommandError(str(exc)) from exc

    def _create(self, *, slug, name, owner_email, owner_password, domains, method, resume,
                **_):
        def progress(step: str, index: int, total: int) -> None:
            if self.verbosity >= 1:
                self.stdout.write(f"  [{index}/{total}] {step}")

        ctx = tenant_provision(slug=slug, name=name, owner_email=owner_email,
                               owner_password=owner_password, domains=domains,
                               schema_method=method, resume=resume, progress=progress)
        domain = ctx.tenant.domains.get(is_primary=True).domain
        self.stdout.write(self.style.SUCCESS(f"Tenant '{slug}' is active at {domain}"))
        self.stdout.write(f"Owner: {owner_email}")
        if ctx.password_generated:
            self.stdout.write(f"Generated password: {ctx.owner_password}")

    def _list(self, *, state, **_):
        rows = [(t.slug, t.name, t.state, t.schema_name, str(t.domain_count),
                 t.created_at.strftime("%Y-%m-%d %H:%M")) for t in tenant_list(state=state)]
        header = ("SLUG", "NAME", "STATE", "SCHEMA", "DOMAINS", "CREATED")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths,
                                                                          strict=True)).rstrip())
        self.stdout.write(f"{len(rows)} tenant(s)")

    def _suspend(self, *, slug, **_):
        tenant_suspend(slug=slug)
        self.stdout.write(self.style.SUCCESS(f"Tenant '{slug}' suspended."))

    def _activate(self, *, slug, **_):
        tenant_activate(slug=slug)
        self.stdout.write(self.style.SUCCESS(f"Tenant '{slug}' activated."))

    def _delete(self, *, slug, yes, **_):
        if not yes:
            if not self.stdin_is_interactive():
                raise CommandError("Refusing to delete without confirmation; pass --yes.")
            answer = input(f"Delete tenant '{slug}' and ALL its data? Type the slug to confirm: ")
            if answer.strip() != slug:
                raise CommandError("Not confirmed; nothing deleted.")
        tenant_delete(slug=slug)
        self.stdout.write(self.style.SUCCESS(f"Tenant '{slug}' deleted."))

    @staticmethod
    def stdin_is_interactive() -> bool:
        import sys

        return sys.stdin is not None and sys.stdin.isatty()
