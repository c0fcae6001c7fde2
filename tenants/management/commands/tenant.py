"""``manage.py tenant create|list|show|suspend|activate|archive|restore|delete|domains|plans|plan|
feature|usage|nodes|move|rebalance|audit|impersonate``: the operators' command line (``nodes``,
``move`` and ``rebalance`` on Citus only: docs/scaling.md; plans, features and usage:
docs/plans.md; ``audit`` and ``impersonate``: docs/audit.md). Every action calls the same service
as the console and the operator API, and is audited as ``cli:<login>`` (the operating-system user
running the command)."""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenant_apps.core.actor import Actor, acting_as
from tenant_apps.core.audit_log import audit_csv
from tenant_apps.core.errors import Conflict, PlatformError
from tenants.archive.services import tenant_archive, tenant_restore
from tenants.audit_selectors import audit_rows
from tenants.cluster import (
    cluster_nodes,
    cluster_rebalance,
    human_size,
    rebalance_plan,
    tenant_move,
    tenant_placements,
)
from tenants.domains import domain_add, domain_instructions, domain_remove, domain_set_primary
from tenants.filters import tenants_filtered
from tenants.impersonation import impersonation_start
from tenants.provisioning import ProvisioningFailed, tenant_provision
from tenants.schema.create import SCHEMA_METHODS
from tenants.selectors import tenant_get, tenant_list
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
        listing.add_argument("--search", default="",
                             help="Part of the slug, name, a domain or the owner's e-mail.")

        sub.add_parser("show", help="A tenant's details and domains.").add_argument("slug")

        suspend = sub.add_parser("suspend", help="Suspend a tenant (its users see the reason).")
        suspend.add_argument("slug")
        suspend.add_argument("--reason", default="", help="Shown to the tenant's users.")
        sub.add_parser("activate", help="Activate a suspended tenant.").add_argument("slug")

        domains = sub.add_parser("domains", help="List, add or remove a tenant's domains, or "
                                 "set its primary one.")
        domains_sub = domains.add_subparsers(dest="domains_action", required=True)
        domains_sub.add_parser("list", help="The tenant's domains.").add_argument("slug")
        for verb, text in (("add", "Add a custom domain (unverified)."),
                           ("remove", "Remove a custom domain."),
                           ("primary", "Make a (verified) domain the primary one.")):
            parser_ = domains_sub.add_parser(verb, help=text)
            parser_.add_argument("slug")
            parser_.add_argument("domain")

        archive = sub.add_parser("archive", help="Retire a tenant: export its data to an "
                                 "archive file, then drop its schema.")
        archive.add_argument("slug")
        archive.add_argument("--to", dest="directory", default=None,
                             help="Directory for the archive (default: TENANT_ARCHIVE_DIR).")
        archive.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

        restore = sub.add_parser("restore", help="Bring an archived tenant back from its "
                                 "archive file (as suspended).")
        restore.add_argument("archive", help="The .tar.gz file `tenant archive` wrote.")

        rebalance = sub.add_parser("rebalance", help="Citus: even out the worker nodes by "
                                   "size, moving tenants one at a time, online.")
        rebalance.add_argument("--dry-run", action="store_true",
                               help="Print the planned moves; move nothing.")

        sub.add_parser("nodes", help="Citus: which node holds each tenant, with sizes and "
                       "per-node totals.")
        move = sub.add_parser("move", help="Citus: move a tenant's schema to another worker "
                              "node, online.")
        move.add_argument("slug")
        move.add_argument("--to", dest="node", required=True, help="The worker, as host:port.")
        move.add_argument("--block-writes", action="store_true",
                          help="Block the tenant's writes for the whole copy (no logical "
                               "replication).")

        audit = sub.add_parser("audit", help="The platform's audit log, or a tenant's (--tenant), "
                               "newest first; --csv writes every matching entry as CSV.")
        audit.add_argument("--tenant", dest="tenant_slug", default=None,
                           help="A tenant's own log instead of the platform's.")
        for name in ("actor", "action", "target", "since", "until"):
            # "action" is the subcommand's own destination, hence the prefix.
            audit.add_argument(f"--{name}", dest=f"filter_{name}", default="",
                               help=f"Filter by {name} (see docs/audit.md).")
        audit.add_argument("--limit", type=int, default=50, help="Rows shown (not with --csv).")
        audit.add_argument("--csv", action="store_true", help="All matching entries, as CSV.")

        impersonate = sub.add_parser("impersonate", help="Print a single-use link (valid 60 s) "
                                     "that signs you in to SLUG as the member EMAIL for "
                                     "support, for at most 30 minutes.")
        impersonate.add_argument("slug")
        impersonate.add_argument("email")
        impersonate.add_argument("--scheme", default="https", choices=["http", "https"])
        impersonate.add_argument("--port", default=None, help="The tenant host's port, if "
                                 "not the scheme's (make run: 8000).")
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
            with acting_as(Actor(f"cli:{_login()}")):
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
            self.stdout.write(f"E-mailed to {owner_email}." if ctx.invitation_emailed else
                              f"Could not e-mail it to {owner_email}: pass it on yourself.")

    def _list(self, *, state, search, **_):
        tenants = tenant_list(state=state)
        if search:
            tenants = tenants_filtered({"search": search}, tenants)
        rows = [(t.slug, t.name, t.state, t.schema_name, str(t.domain_count),
                 t.created_at.strftime("%Y-%m-%d %H:%M"), _note(t))
                for t in tenants]
        header = ("SLUG", "NAME", "STATE", "SCHEMA", "DOMAINS", "CREATED", "NOTE")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths,
                                                                          strict=True)).rstrip())
        self.stdout.write(f"{len(rows)} tenant(s)")

    def _show(self, *, slug, **_):
        tenant = tenant_get(slug=slug)
        for label, value in (("slug", tenant.slug), ("name", tenant.name),
                             ("state", tenant.state), ("schema", tenant.schema_name),
                             ("owner", tenant.owner_email or "-"),
                             ("created", f"{tenant.created_at:%Y-%m-%d %H:%M}"),
                             ("last activity", f"{tenant.last_activity_at:%Y-%m-%d %H:%M}"
                              if tenant.last_activity_at else "-"),
                             ("suspension reason", tenant.suspension_reason or "-"),
                             ("note", _note(tenant) or "-")):
            self.stdout.write(f"{label + ':':<19}{value}")
        self._domains_list(slug=slug)

    def _suspend(self, *, slug, reason, **_):
        tenant_suspend(slug=slug, reason=reason)
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

    def _domains(self, *, domains_action, slug, domain=None, **_):
        tenant = tenant_get(slug=slug)
        if domains_action == "list":
            return self._domains_list(slug=slug)
        if domains_action == "add":
            added = domain_add(tenant=tenant, domain=domain)
            info = domain_instructions(added)
            self.stdout.write(self.style.SUCCESS(f"Domain {added.domain} added to '{slug}' "
                                                 f"({added.status})."))
            self.stdout.write(f"Create: {info.txt_name} TXT {info.txt_value}")
            self.stdout.write(f"        {info.cname_name} CNAME {info.cname_target}")
        elif domains_action == "remove":
            domain_remove(tenant=tenant, domain=domain.strip().lower())
            self.stdout.write(self.style.SUCCESS(f"Domain {domain} removed from '{slug}'."))
        else:
            domain_set_primary(tenant=tenant, domain=domain)
            self.stdout.write(self.style.SUCCESS(f"{domain} is now the primary domain of "
                                                 f"'{slug}'."))
        return None
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
            with _cli_actor():
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
        with _cli_actor():
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

    def _domains_list(self, *, slug):
        rows = [(d.domain, "primary" if d.is_primary else "", d.status)
                for d in tenant_get(slug=slug).domains.order_by("-is_primary", "domain")]
        header = ("DOMAIN", "PRIMARY", "STATUS")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths,
                                                                   strict=True)).rstrip())

    def _nodes(self, **_):
        placements = tenant_placements()
        header = ("SLUG", "SCHEMA", "NODE", "SIZE")
        rows = [(p.slug, p.schema_name, p.node or "(not distributed)", human_size(p.size_bytes))
                for p in placements]
        self._table(header, rows)
        for node in cluster_nodes(placements):
            self.stdout.write(f"node {node.node}: {node.tenants} tenant(s), "
                              f"{human_size(node.size_bytes)}")

    def _move(self, *, slug, node, block_writes, **_):
        try:
            with _cli_actor():
                move = tenant_move(slug=slug, node=node, block_writes=block_writes,
                                   progress=self._progress)
        except Conflict as exc:
            if exc.code != "already_on_node":
                raise
            self.stdout.write(exc.message)
            return
        self.stdout.write(self.style.SUCCESS(
            f"Tenant '{slug}' moved from {move.source} to {move.target}."))

    def _rebalance(self, *, dry_run, **_):
        moves = rebalance_plan()
        if not moves:
            self.stdout.write("The nodes are balanced: nothing to move.")
            return
        self.stdout.write(f"Plan: {len(moves)} move(s)")
        self._table(("SLUG", "SIZE", "FROM", "TO"),
                    [(m.slug, human_size(m.size_bytes), m.source, m.target) for m in moves])
        if dry_run:
            self.stdout.write("Dry run: nothing moved.")
            return

        def progress(step: str, index: int, total: int) -> None:
            if self.verbosity >= 1:
                self.stdout.write(f"  [{index}/{total}] {step}")

        with _cli_actor():
            moved = cluster_rebalance(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Rebalanced: {len(moved)} tenant(s) moved."))
        for node in cluster_nodes():
            self.stdout.write(f"node {node.node}: {node.tenants} tenant(s), "
                              f"{human_size(node.size_bytes)}")

    def _table(self, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths,
                                                                   strict=True)).rstrip())

    def _audit(self, *, tenant_slug, limit, csv, **options):
        filters = {name: options[f"filter_{name}"]
                   for name in ("actor", "action", "target", "since", "until")}
        rows = audit_rows(tenant_slug=tenant_slug, filters=filters, limit=None if csv else limit)
        if csv:
            for line in audit_csv(rows):
                self.stdout.write(line, ending="")
            return
        for e in rows:
            via = f" (via {e.impersonator})" if getattr(e, "impersonator", "") else ""
            self.stdout.write(f"{e.at:%Y-%m-%d %H:%M:%S} {e.actor}{via} {e.action} {e.target}")

    def _impersonate(self, *, slug, email, scheme, port, **_):
        with acting_as(Actor(f"cli:{getpass.getuser()}")):
            started = impersonation_start(slug=slug, user_email=email, scheme=scheme, port=port)
        self.stdout.write(started.link)
        if self.verbosity >= 1:
            self.stderr.write(f"Open it within 60 seconds; it works once. Signed in to {slug} "
                              f"as {started.impersonation.user_email} for at most 30 minutes.")

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


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (some containers)
        return "unknown"


def _cli_actor():
    """Audit entries written by this command name the operator's login."""
    return acting_as(Actor(f"cli:{_login()}"))


def _limit(value: int | None) -> str:
    return "unlimited" if value is None else f"{value:,}"


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
