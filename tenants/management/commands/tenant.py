"""``manage.py tenant create|list|suspend|activate|archive|restore|delete|plans|plan|feature|
usage|nodes|move``: the operators' command line (``nodes`` and ``move`` on Citus only:
docs/scaling.md; plans, features and usage: docs/plans.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenant_apps.core.actor import Actor, acting_as
from tenant_apps.core.errors import PlatformError
from tenants.archive.services import tenant_archive, tenant_restore
from tenants.provisioning import ProvisioningFailed, tenant_provision
from tenants.schema.create import SCHEMA_METHODS
from tenants.selectors import tenant_list
from tenants.services import tenant_activate, tenant_delete, tenant_suspend


class Command(BaseCommand):
    help = "Create, list, suspend, activate, archive, restore and delete tenants."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        create = sub.add_parser("create", help="Provision a new tenant.")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        create.add_argument("--owner-email", required=True)
        create.add_argument("--owner-password",
                            help="Set it (hashed) instead of printing an invitation link.")
        create.add_argument("--domain", action="append", default=[], dest="domains",
                            help="A custom domain (repeatable).")
        create.add_argument("--method", choices=sorted(SCHEMA_METHODS), default=None,
                            help="How to create the schema (default: TENANT_SCHEMA_METHOD).")
        create.add_argument("--resume", action="store_true",
                            help="Carry on an interrupted provisioning of SLUG.")
        create.add_argument("--plan", default=None,
                            help="The tenant's plan (default: the default plan).")

        listing = sub.add_parser("list", help="List tenants as a table.")
        listing.add_argument("--state", choices=["provisioning", "active", "suspended",
                                                 "archived"])

        for action in ("suspend", "activate"):
            sub.add_parser(action, help=f"{action.capitalize()} a tenant.").add_argument("slug")

        archive = sub.add_parser("archive", help="Retire a tenant: export its data to an "
                                 "archive file, then drop its schema.")
        archive.add_argument("slug")
        archive.add_argument("--to", dest="directory", default=None,
                             help="Directory for the archive (default: TENANT_ARCHIVE_DIR).")
        archive.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

        restore = sub.add_parser("restore", help="Bring an archived tenant back from its "
                                 "archive file (as suspended).")
        restore.add_argument("archive", help="The .tar.gz file `tenant archive` wrote.")

        sub.add_parser("nodes", help="Citus: which node holds each tenant, with sizes and "
                       "per-node totals.")
        move = sub.add_parser("move", help="Citus: move a tenant's schema to another worker "
                              "node, online.")
        move.add_argument("slug")
        move.add_argument("--to", dest="node", required=True, help="The worker, as host:port.")
        move.add_argument("--block-writes", action="store_true",
                          help="Block the tenant's writes for the whole copy (no logical "
                               "replication).")

        sub.add_parser("plans", help="List the plans: limits, features, tenants on each.")
        plan = sub.add_parser("plan", help="Show a tenant's plan, limits and features; with "
                              "PLAN, move the tenant to it (audited).")
        plan.add_argument("slug")
        plan.add_argument("plan", nargs="?", default=None)
        feature = sub.add_parser("feature", help="Override a feature for one tenant (on/off), "
                                 "or let its plan decide again (plan). Audited.")
        feature.add_argument("slug")
        feature.add_argument("feature")
        feature.add_argument("value", choices=["on", "off", "plan"])
        usage = sub.add_parser("usage", help="A tenant's usage: members, rows, storage, API "
                               "requests and jobs per day, last activity.")
        usage.add_argument("slug")
        usage.add_argument("--days", type=int, default=7, help="Days of history (default 7).")
        usage.add_argument("--collect", action="store_true",
                           help="Measure now instead of showing the last collected figures.")

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
                plan=None, **_):
        def progress(step: str, index: int, total: int) -> None:
            if self.verbosity >= 1:
                self.stdout.write(f"  [{index}/{total}] {step}")

        ctx = tenant_provision(slug=slug, name=name, owner_email=owner_email,
                               owner_password=owner_password, domains=domains,
                               schema_method=method, resume=resume, progress=progress,
                               plan=plan)
        domain = ctx.tenant.domains.get(is_primary=True).domain
        self.stdout.write(self.style.SUCCESS(f"Tenant '{slug}' is active at {domain}"))
        self.stdout.write(f"Owner: {owner_email}")
        if ctx.invitation_url:
            self.stdout.write(f"Owner's invitation link (valid 7 days): {ctx.invitation_url}")

    def _list(self, *, state, **_):
        rows = [(t.slug, t.name, t.state, t.schema_name, str(t.domain_count),
                 t.created_at.strftime("%Y-%m-%d %H:%M"), _note(t))
                for t in tenant_list(state=state)]
        header = ("SLUG", "NAME", "STATE", "SCHEMA", "DOMAINS", "CREATED", "NOTE")
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

    def _archive(self, *, slug, directory, yes, **_):
        self._confirm(yes, f"Archive tenant '{slug}': suspend it, export its data, then DROP its "
                           "schema?", slug, "archive")
        info = tenant_archive(slug=slug, directory=directory, progress=self._progress)
        self.stdout.write(self.style.SUCCESS(f"Tenant '{slug}' archived: {info.tables} tables, "
                                             f"{info.rows} rows, schema dropped."))
        self.stdout.write(f"Archive: {info.path}")
        self.stdout.write(f"SHA-256: {info.sha256}")

    def _restore(self, *, archive, **_):
        tenant = tenant_restore(archive=archive, progress=self._progress)
        self.stdout.write(self.style.SUCCESS(
            f"Tenant '{tenant.slug}' restored as suspended; check it, then: "
            f"manage.py tenant activate {tenant.slug}"))

    def _delete(self, *, slug, yes, **_):
        self._confirm(yes, f"Delete tenant '{slug}' and ALL its data?", slug, "delete")
        tenant_delete(slug=slug)
        self.stdout.write(self.style.SUCCESS(f"Tenant '{slug}' deleted."))

    def _plans(self, **_):
        from tenants.plan_models import LIMIT_FIELDS
        from tenants.plans.selectors import plan_list

        header = ("PLAN", "NAME", *(f.upper() for f in LIMIT_FIELDS), "TENANTS", "FEATURES")
        rows = [(p.slug + (" *" if p.is_default else ""), p.name,
                 *(_limit(getattr(p, f)) for f in LIMIT_FIELDS), str(p.tenant_count),
                 ", ".join(p.features)) for p in plan_list()]
        self._table(header, rows)
        self.stdout.write("* the default plan of new tenants")

    def _plan(self, *, slug, plan, **_):
        from tenants.plans.services import tenant_plan_change
        from tenants.plans_api import tenant_plan_body
        from tenants.selectors import tenant_get

        if plan is not None:
            with acting_as(_cli_actor()):
                tenant_plan_change(slug=slug, plan=plan)
            self.stdout.write(self.style.SUCCESS(f"Tenant '{slug}' is on plan '{plan}'."))
        body = tenant_plan_body(tenant_get(slug=slug))
        self.stdout.write(f"Plan: {body['plan']}")
        for name, value in body["limits"].items():
            self.stdout.write(f"  {name}: {_limit(value)}")
        overrides = ", ".join(f"{k}={'on' if v else 'off'}"
                              for k, v in sorted(body["feature_overrides"].items()))
        self.stdout.write(f"Features: {', '.join(body['features']) or '(none)'}")
        self.stdout.write(f"Overrides: {overrides or '(none)'}")

    def _feature(self, *, slug, feature, value, **_):
        from tenants.plans.services import tenant_feature_override

        enabled = {"on": True, "off": False, "plan": None}[value]
        with acting_as(_cli_actor()):
            tenant_feature_override(slug=slug, feature=feature, enabled=enabled)
        self.stdout.write(self.style.SUCCESS(
            f"Feature '{feature}' of '{slug}': " + ("as its plan says" if enabled is None
                                                    else value)))

    def _usage(self, *, slug, days, collect, **_):
        from tenants.plans.collect import usage_collect
        from tenants.plans.selectors import tenant_usage_history
        from tenants.selectors import tenant_get

        if not 1 <= days <= 366:
            raise CommandError("--days must be from 1 to 366.")
        tenant = tenant_get(slug=slug)
        history = list(tenant_usage_history(tenant=tenant, days=days))
        if collect or not history:
            usage_collect(tenants=[tenant])
            history = list(tenant_usage_history(tenant=tenant, days=days))
        latest = history[0]
        self.stdout.write(f"Tenant '{slug}' on {latest.day} (collected "
                          f"{latest.collected_at:%Y-%m-%d %H:%M} UTC)")
        self.stdout.write(f"  members: {latest.members}")
        for name, count in sorted(latest.rows.items()):
            self.stdout.write(f"  {name}: {count}")
        self.stdout.write(f"  storage: {latest.schema_bytes / 1024 / 1024:.1f} MB")
        seen = latest.last_activity_at
        self.stdout.write(f"  last activity: {seen:%Y-%m-%d %H:%M} UTC" if seen
                          else "  last activity: never")
        self._table(("DAY", "API REQUESTS", "JOBS", "MEMBERS", "STORAGE MB"),
                    [(str(u.day), str(u.api_requests), str(u.jobs), str(u.members),
                      f"{u.schema_bytes / 1024 / 1024:.1f}") for u in history])

    def _table(self, header: tuple, rows: list[tuple]) -> None:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths,
                                                                   strict=True)).rstrip())

    def _nodes(self, **_):
        from tenants.distribution import citus_enabled, placements, worker_nodes

        if not citus_enabled():
            raise CommandError("Tenants are not distributed (TENANT_DISTRIBUTION is not "
                               "'citus'): every tenant is on the one PostgreSQL.")
        where = placements()
        per_node: dict[str, list[int]] = {node: [0, 0] for node in worker_nodes()}
        header = ("SLUG", "SCHEMA", "NODE", "SIZE")
        rows = []
        for tenant in tenant_list(state=None):
            placement = where.get(tenant.schema_name)
            node = placement.node if placement else "(not distributed)"
            size = placement.size_bytes if placement else 0
            rows.append((tenant.slug, tenant.schema_name, node, f"{size / 1024:.0f} kB"))
            totals = per_node.setdefault(node, [0, 0])
            totals[0] += 1
            totals[1] += size
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths,
                                                                   strict=True)).rstrip())
        for node, (count, size) in per_node.items():
            self.stdout.write(f"node {node}: {count} tenant(s), {size / 1024:.0f} kB")

    def _move(self, *, slug, node, block_writes, **_):
        from tenants.distribution import UnknownNode, citus_enabled, placements, schema_move
        from tenants.models import Tenant

        if not citus_enabled():
            raise CommandError("Tenants are not distributed (TENANT_DISTRIBUTION is not "
                               "'citus').")
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant '{slug}'.")
        before = placements().get(tenant.schema_name)
        if before and before.node == node:
            self.stdout.write(f"Tenant '{slug}' is already on {node}.")
            return
        try:
            schema_move(tenant.schema_name, node,
                        mode="block_writes" if block_writes else "force_logical")
        except UnknownNode as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Tenant '{slug}' moved from {before.node if before else '?'} to {node}."))

    def _progress(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(f"  {message}")

    def _confirm(self, yes: bool, question: str, slug: str, verb: str) -> None:
        if yes:
            return
        if not self.stdin_is_interactive():
            raise CommandError(f"Refusing to {verb} without confirmation; pass --yes.")
        answer = input(f"{question} Type the slug to confirm: ")
        if answer.strip() != slug:
            raise CommandError(f"Not confirmed; nothing done ({verb}).")

    @staticmethod
    def stdin_is_interactive() -> bool:
        import sys

        return sys.stdin is not None and sys.stdin.isatty()


def _limit(value: int | None) -> str:
    return "unlimited" if value is None else f"{value:,}"


def _cli_actor() -> Actor:
    import getpass

    return Actor(f"cli:{getpass.getuser()}")


def _note(tenant) -> str:
    """What an operator must know about a tenant's last run: an interrupted or failed archive,
    a provisioning error, an archive under way."""
    if tenant.archive_error:
        return tenant.archive_error
    if tenant.provisioning_error:
        return f"provisioning: {tenant.provisioning_error}"
    if tenant.archive_started_at:
        return f"archiving since {tenant.archive_started_at:%Y-%m-%d %H:%M:%S} UTC"
    return ""
