"""Reads of the fleet's bookkeeping: a fleet migration run's progress, for the operator API
(tenants/fleet_api.py) -- the same figures the terminal's progress line shows."""

from __future__ import annotations

from django.db.models import Count, Max, Min
from django.utils import timezone

from tenants.fleet.models import FleetRun, FleetRunTenant

FAILED_LISTED = 50


def fleet_run_latest() -> FleetRun | None:
    return FleetRun.objects.order_by("-started_at", "-pk").first()


def fleet_run_get(run_id: int) -> FleetRun | None:
    return FleetRun.objects.filter(pk=run_id).first()


def fleet_run_progress(run: FleetRun, *, now=None) -> dict:
    """Per-tenant counts by state and method, rate (tenants finished per second since the first
    one started) and ETA, and the first failures with their errors. Three queries, whatever
    the fleet's size."""
    now = now or timezone.now()
    rows = FleetRunTenant.objects.filter(run=run)
    by_state = dict(rows.values_list("state").annotate(n=Count("id")).order_by())
    by_method = dict(rows.values_list("method").annotate(n=Count("id")).order_by())
    span = rows.aggregate(first=Min("started_at"), last=Max("finished_at"))
    counts = {state: by_state.get(state, 0) for state in FleetRunTenant.State.values}
    total = sum(counts.values())
    finished = counts[FleetRunTenant.State.DONE] + counts[FleetRunTenant.State.FAILED]
    remaining = total - finished
    running = run.state == FleetRun.State.RUNNING
    end = now if running or span["last"] is None else span["last"]
    elapsed = (end - span["first"]).total_seconds() if span["first"] else 0.0
    rate = finished / elapsed if elapsed > 0 else None
    failed = list(rows.filter(state=FleetRunTenant.State.FAILED).order_by("schema_name")
                  .values("schema_name", "method", "error", "attempts", "finished_at")
                  [:FAILED_LISTED])
    return {
        "run": run.pk,
        "state": run.state,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "migrations": run.targets,
        "tenants": {"total": total, **counts},
        "methods": {method: by_method.get(method, 0) for method in FleetRunTenant.Method.values},
        "percent": round(100 * finished / total, 1) if total else 100.0,
        "rate_per_s": round(rate, 2) if rate is not None else None,
        "eta_s": round(remaining / rate, 1) if running and rate and remaining else
        (0.0 if not remaining else None),
        "failed": failed,
        "summary": run.summary,
    }
