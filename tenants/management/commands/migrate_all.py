"""``manage.py migrate_all``: the one migration command of a release. Migrates ``public`` and
the template schema with Django, then every tenant schema with the template's plan, replayed in
parallel (tenants/fleet/runner.py), or with Django where the plan does not fit.

A run with nothing to do answers from one query over the whole fleet (tenants/fleet/status.py).
Progress is kept per tenant in ``public``: ``--resume`` continues a killed or failed run,
``--tenant SLUG`` retries one tenant alone."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.fleet.runner import FleetBusy, default_jobs, fleet_migrate


class Command(BaseCommand):
    help = "Migrate public, the tenant template schema and every tenant schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jobs", type=int, default=default_jobs(),
                            help="Tenants migrated at once (connections; default from CPUs).")
        parser.add_argument("--canary", metavar="SLUG",
                            help="The tenant migrated alone first (default: the first one).")
        parser.add_argument("--resume", action="store_true",
                            help="Continue the last unfinished run (failed tenants retried).")
        parser.add_argument("--tenant", action="append", dest="slugs", metavar="SLUG",
                            help="Only this tenant (repeatable), e.g. to retry one alone.")
        parser.add_argument("--lock-timeout", default="5s",
                            help="Per tenant: give up waiting for a lock after this long.")
        parser.add_argument("--statement-timeout", default="30min",
                            help="Per tenant: cancel a statement running longer than this.")

    def handle(self, *args, jobs, canary, resume, slugs, lock_timeout, statement_timeout,
               **options) -> None:
        only = [f"t_{slug.replace('-', '_')}" for slug in slugs] if slugs else None
        try:
            report = fleet_migrate(jobs=jobs, canary=canary, resume=resume, only=only,
                                   lock_timeout=lock_timeout,
                                   statement_timeout=statement_timeout,
                                   verbosity=options["verbosity"], stderr=self.stderr._out)
        except FleetBusy as exc:
            raise CommandError(str(exc)) from exc
        if report.noop:
            self.stdout.write(self.style.SUCCESS(
                f"Schemas up to date: public, the template and {report.tenants} tenant(s) "
                "(nothing to migrate)."))
            return
        for line in report.lines():
            self.stdout.write(line)
        if report.failed or report.not_attempted:
            raise CommandError(f"{len(report.failed)} tenant(s) failed; see above.")
        self.stdout.write(self.style.SUCCESS(
            f"Schemas up to date: public, the template and {report.tenants} tenant(s)."))
