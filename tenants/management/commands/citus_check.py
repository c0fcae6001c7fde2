"""``manage.py citus_check [--all]``: the tenant apps' migrations checked for what Citus
schema-based sharding does differently (tenants/citus_check.py). Exit status 1 on an error."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.citus_check import check_project


class Command(BaseCommand):
    help = "Check the tenant apps' migrations for Citus schema-based sharding."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", dest="include_third_party",
                            help="Check third-party tenant apps too (Django's contrib apps...).")

    def handle(self, *args, include_third_party: bool, **options) -> None:
        findings = check_project(include_third_party=include_third_party)
        for finding in findings:
            self.stdout.write(str(finding))
        errors = [f for f in findings if f.severity == "error"]
        warnings = len(findings) - len(errors)
        summary = f"{len(errors)} error(s), {warnings} warning(s)"
        if errors:
            raise CommandError(f"citus_check: {summary}")
        self.stdout.write(self.style.SUCCESS(f"citus_check: {summary}"))
