"""``migrate_all``'s engine: public and the template through Django, then the template's plan
replayed in every tenant schema that is still the template's twin, in parallel.

Per tenant: one transaction on one of ``jobs`` connections, ``SET LOCAL search_path`` to the
tenant, ``lock_timeout`` and ``statement_timeout`` so that a busy tenant fails alone instead of
stalling the fleet, the plan's statements and ``django_migrations`` rows, and the tenant's
progress row marked done -- all committed together, so a killed run leaves every tenant either
migrated and marked, or untouched. Schemas that drifted from the template and runs whose
migrations are unsafe to replay (``tenants.fleet.plan``) go through Django's migrate, schema by
schema, and the report says which and why.

Order: the template (Django), one canary tenant alone (``canary``, or the first), then the
rest. A failed canary stops the run before the fleet is touched.
"""

from __future__ import annotations

import io
import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from typing import TextIO

from django.core.management import call_command
from django.db import ProgrammingError, connection, transaction
from django.utils import timezone

from tenants.fleet.catalog import catalog_hashes
from tenants.fleet.models import FleetRun, FleetRunTenant
from tenants.fleet.plan import Plan, sql_literal, template_migrate_capturing
from tenants.fleet.progress import Progress
from tenants.fleet.status import SchemaStatus, fleet_status
from tenants.locks import run_lock
from tenants.schema.migrate import schema_migrate
from tenants.schema.names import quote


class FleetBusy(RuntimeError):
    """Another ``migrate_all`` is running."""


def default_jobs() -> int:
    return max(2, min(8, os.cpu_count() or 2))


@dataclass
class FleetReport:
    tenants: int = 0  # live tenants looked at
    public_migrated: bool = False
    template_migrated: bool = False
    plan_unsafe: str = ""
    run_id: int | None = None
    done: list[str] = field(default_factory=list)  # migrated by the plan
    fallen_back: dict[str, str] = field(default_factory=dict)  # migrated by Django: why
    failed: dict[str, str] = field(default_factory=dict)  # schema: error
    not_attempted: list[str] = field(default_factory=list)  # after a failed canary
    queries_for_status: int = 1

    @property
    def skipped(self) -> int:
        """Tenants already up to date."""
        return (self.tenants - len(self.done) - len(self.fallen_back) - len(self.failed)
                - len(self.not_attempted))

    @property
    def noop(self) -> bool:
        return not (self.public_migrated or self.template_migrated or self.done
                    or self.fallen_back or self.failed or self.not_attempted)

    def lines(self) -> list[str]:
        out = [f"Fleet: {self.tenants} tenant(s): {len(self.done)} migrated by the plan, "
               f"{len(self.fallen_back)} by Django (fallen back), {self.skipped} already up to "
               f"date (skipped), {len(self.failed)} failed"
               + (f", {len(self.not_attempted)} not attempted" if self.not_attempted else "")
               + "."]
        if self.plan_unsafe:
            out.append(f"  The plan was not used: {self.plan_unsafe}")
        for schema, why in sorted(self.fallen_back.items()):
            out.append(f"  fallen back  {schema}: {why}")
        for schema, error in sorted(self.failed.items()):
            out.append(f"  FAILED       {schema}: {error}")
        if self.failed or self.not_attempted:
            out.append("  Retry with: manage.py migrate_all --resume")
        return out


def _status_or_migrate_public(only: list[str] | None, verbosity: int,
                              report: FleetReport) -> list[SchemaStatus]:
    try:
        statuses = fleet_status(schemas=only)
    except ProgrammingError:
        # A fresh database, or public behind this release's own tables: public first.
        statuses = None
    public = next((s for s in statuses or [] if s.kind == "public"), None)
    if public is None or not public.up_to_date:
        from tenants.fleet.plan import template_migration_deferred

        with template_migration_deferred():
            call_command("migrate_schemas", shared=True, interactive=False,
                         verbosity=max(0, verbosity - 1), stdout=io.StringIO())
        report.public_migrated = True
        statuses = fleet_status(schemas=only)
        report.queries_for_status += 1
    return statuses


def _stored_plan(template: SchemaStatus) -> Plan | None:
    """The latest run's plan, if it brought the template to where it stands now."""
    run = FleetRun.objects.exclude(plan={}).order_by("-started_at").first()
    if run is None:
        return None
    plan = Plan.from_dict(run.plan)
    return plan if plan.after_applied == template.applied_hash else None


def fleet_migrate(*, jobs: int | None = None, canary: str | None = None, resume: bool = False,
                  only: list[str] | None = None, lock_timeout: str = "5s",
                  statement_timeout: str = "30min", verbosity: int = 1,
                  stderr: TextIO | None = None) -> FleetReport:
    """Migrate public, the template and every live tenant (or the tenants whose schema is in
    ``only``). ``canary`` is a tenant slug migrated alone before the others."""
    jobs = jobs or default_jobs()
    stderr = stderr or sys.stderr
    report = FleetReport()
    connection.set_schema_to_public()
    with run_lock("migrate_all") as held:
        if not held:
            raise FleetBusy("Another migrate_all is running; wait for it to finish.")
        statuses = _status_or_migrate_public(only, verbosity, report)
        template = next(s for s in statuses if s.kind == "template")
        tenants = [s for s in statuses if s.kind == "tenant"]
        report.tenants = len(tenants)
        behind = [s for s in tenants if not s.up_to_date]

        plan: Plan | None
        if not template.up_to_date:
            before = (catalog_hashes([template.schema_name]).get(template.schema_name, "")
                      if template.exists else "")
            plan = template_migrate_capturing(before_catalog=before,
                                              before_applied=template.applied_hash,
                                              verbosity=max(0, verbosity - 1))
            report.template_migrated = True
            plan.after_applied = next(
                s for s in fleet_status(schemas=[]) if s.kind == "template").applied_hash
        else:
            plan = _stored_plan(template) if behind else None
        if behind:
            _migrate_tenants(behind, plan, report, jobs=jobs, canary=canary, resume=resume,
                             lock_timeout=lock_timeout, statement_timeout=statement_timeout,
                             verbosity=verbosity, stderr=stderr)
        if report.public_migrated or report.template_migrated:
            from tenants.fleet.pool import pool_drop_stale

            pool_drop_stale()
    return report


def _classify(behind: list[SchemaStatus], plan: Plan | None,
              report: FleetReport) -> dict[str, str]:
    """{schema: why Django} for the schemas that may not get the plan ("" = the plan)."""
    if plan is None:
        why = "no plan: the template was already current and no stored plan fits"
        return {s.schema_name: why for s in behind}
    if plan.unsafe:
        report.plan_unsafe = plan.unsafe
        return {s.schema_name: plan.unsafe for s in behind}
    hashes = catalog_hashes([s.schema_name for s in behind if s.exists])
    reasons = {}
    for s in behind:
        if not s.exists:
            reasons[s.schema_name] = "no schema or no django_migrations table"
        elif s.applied_hash != plan.before_applied:
            reasons[s.schema_name] = "its applied migrations differ from the template's"
        elif hashes.get(s.schema_name) != plan.before_catalog:
            reasons[s.schema_name] = "drift: its structure differs from the template's"
        else:
            reasons[s.schema_name] = ""
    return reasons


def _migrate_tenants(behind, plan, report, *, jobs, canary, resume, lock_timeout,
                     statement_timeout, verbosity, stderr) -> None:
    reasons = _classify(behind, plan, report)
    run = None
    if resume:
        run = FleetRun.objects.exclude(state=FleetRun.State.DONE).order_by("-started_at").first()
    if run is None:
        run = FleetRun.objects.create(targets=plan.migrations if plan else [],
                                      plan=plan.as_dict() if plan else {})
    else:
        FleetRun.objects.filter(pk=run.pk).update(state=FleetRun.State.RUNNING)
    report.run_id = run.pk
    rows = {r.schema_name: r for r in run.tenants.all()}
    new_rows = [FleetRunTenant(run=run, schema_name=schema) for schema in reasons
                if schema not in rows]
    FleetRunTenant.objects.bulk_create(new_rows, ignore_conflicts=True)
    # One UPDATE per distinct reason, not one per tenant (10,000 round trips at 10,000).
    by_reason: dict[str, list[str]] = {}
    for schema, why in reasons.items():
        by_reason.setdefault(why, []).append(schema)
    for why, schemas in by_reason.items():
        FleetRunTenant.objects.filter(run=run, schema_name__in=schemas).update(
            method=FleetRunTenant.Method.DJANGO if why else FleetRunTenant.Method.PLAN,
            reason=why, state=FleetRunTenant.State.PENDING)
    row_ids = dict(run.tenants.values_list("schema_name", "pk"))

    planned = sorted(s for s, why in reasons.items() if not why)
    fallback = sorted(s for s, why in reasons.items() if why)
    progress = Progress(len(reasons), stderr) if verbosity >= 1 else None
    apply = _PlanApplier(plan, lock_timeout, statement_timeout, row_ids, report, progress)

    if planned:
        first = planned[0]
        if canary:
            wanted = f"t_{canary.replace('-', '_')}"
            if wanted in planned:
                first = wanted
        if not apply.one(first):
            report.not_attempted = [s for s in planned + fallback if s != first]
            _finish(run, report)
            if progress:
                stderr.write("\n")
            return
        apply.many([s for s in planned if s != first], jobs)
    for schema in fallback:
        _django_one(schema, reasons[schema], row_ids[schema], report, progress)
    _finish(run, report)


def _finish(run: FleetRun, report: FleetReport) -> None:
    state = FleetRun.State.FAILED if (report.failed or report.not_attempted) else \
        FleetRun.State.DONE
    FleetRun.objects.filter(pk=run.pk).update(
        state=state, finished_at=timezone.now(),
        summary={"done": len(report.done), "fallen_back": len(report.fallen_back),
                 "failed": len(report.failed), "skipped": report.skipped})


def _mark(row_id: int, **fields) -> None:
    FleetRunTenant.objects.filter(pk=row_id).update(**fields)


# A tenant's commits do not wait for their WAL flush (set_config(..., true): this transaction
# only, like SET LOCAL, safe behind a transaction-pooling PgBouncer). Waiting was two disk
# flushes per tenant, most of a plan's time at 10,000 tenants. It costs no safety here: a commit
# lost to a PostgreSQL crash is lost whole, the tenant's DDL with its "done" mark, so
# `migrate_all --resume` applies it again; nothing is ever half-applied.
_NO_FLUSH_WAIT = "set_config('synchronous_commit', 'off', true)"


class _PlanApplier:
    def __init__(self, plan: Plan, lock_timeout: str, statement_timeout: str,
                 row_ids: dict[str, int], report: FleetReport, progress: Progress | None):
        self.plan, self.row_ids, self.report, self.progress = plan, row_ids, report, progress
        self.timeouts = (lock_timeout, statement_timeout)
        # Refuses a schema that has any of the plan's migrations already (a concurrent run, a
        # hand-applied one), under a lock that keeps another run from adding them meanwhile.
        applied = ", ".join(sql_literal(name) for name in plan.migrations) or "NULL"
        self.sql = (
            "LOCK TABLE django_migrations IN SHARE ROW EXCLUSIVE MODE;\n"  # noqa: S608 -- sql_literal
            "DO $guard$BEGIN IF EXISTS (SELECT 1 FROM django_migrations WHERE app || '.' || name"
            f" IN ({applied})) THEN RAISE EXCEPTION 'some of the plan''s migrations are applied"
            " already'; END IF; END$guard$;\n" + plan.sql())
        self._lock = threading.Lock()

    def one(self, schema: str) -> bool:
        """Apply the plan to ``schema`` in one transaction; False (recorded) when it failed."""
        from django.db.models import F

        row_id = self.row_ids[schema]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT {_NO_FLUSH_WAIT}")
            _mark(row_id, state=FleetRunTenant.State.STARTED, started_at=timezone.now(),
                  attempts=F("attempts") + 1, error="")
        lock_timeout, statement_timeout = self.timeouts
        try:
            # One round trip: settings, guard, plan, progress row (no parameters: the plan's
            # SQL may hold a literal %; every value here is quoted by sql_literal).
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT set_config('search_path', {sql_literal(quote(schema))}, true), "
                    f"set_config('lock_timeout', {sql_literal(lock_timeout)}, true), "
                    f"set_config('statement_timeout', {sql_literal(statement_timeout)}, true), "
                    f"{_NO_FLUSH_WAIT};\n"
                    + self.sql + "\nUPDATE public.tenants_fleetruntenant SET state = 'done', "
                    f"finished_at = now() WHERE id = {int(row_id)};")
        except Exception as exc:  # any failure is this tenant's alone; the report says it
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
            _mark(row_id, state=FleetRunTenant.State.FAILED, error=error,
                  finished_at=timezone.now())
            with self._lock:
                self.report.failed[schema] = error
            if self.progress:
                self.progress.advance(failed=True)
            return False
        with self._lock:
            self.report.done.append(schema)
        if self.progress:
            self.progress.advance()
        return True

    def many(self, schemas: list[str], jobs: int) -> None:
        work: queue.SimpleQueue[str] = queue.SimpleQueue()
        for schema in schemas:
            work.put(schema)

        def worker() -> None:
            try:
                while True:
                    try:
                        schema = work.get_nowait()
                    except queue.Empty:
                        return
                    self.one(schema)
            finally:
                connection.close()  # this thread's own connection

        threads = [threading.Thread(target=worker, name=f"fleet-{i}", daemon=True)
                   for i in range(min(jobs, len(schemas)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _django_one(schema: str, why: str, row_id: int, report: FleetReport,
                progress: Progress | None) -> None:
    from django.db.models import F

    _mark(row_id, state=FleetRunTenant.State.STARTED, started_at=timezone.now(),
          attempts=F("attempts") + 1, error="")
    try:
        schema_migrate(schema)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        connection.set_schema_to_public()
        _mark(row_id, state=FleetRunTenant.State.FAILED, error=error,
              finished_at=timezone.now())
        report.failed[schema] = error
        if progress:
            progress.advance(failed=True)
        return
    _mark(row_id, state=FleetRunTenant.State.DONE, finished_at=timezone.now())
    report.fallen_back[schema] = why
    if progress:
        progress.advance()

