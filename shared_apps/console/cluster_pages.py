"""The console's Cluster section (/console/cluster/): the Citus worker nodes with their tenant
counts and sizes, every tenant's node with a move form, the rebalance plan and its button, and
the progress of a move or rebalance job. Also the tenant page's placement panel. All reads and
actions go through tenants/cluster.py, as the CLI and the operator API do; on a platform that is
not distributed the section says so and offers nothing."""

from __future__ import annotations

from celery.result import AsyncResult
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from shared_apps.console.access import operator_page
from tenant_apps.core.errors import PlatformError
from tenants import cluster
from tenants.distribution import citus_enabled, worker_nodes
from tenants.jobs import operator_job_queue
from tenants.tasks import move_tenant, rebalance_cluster

RUNNING = ("PENDING", "RECEIVED", "STARTED", "PROGRESS", "RETRY")


def _overview_context() -> dict:
    placements = cluster.tenant_placements()
    nodes = cluster.cluster_nodes(placements)
    largest = max((n.size_bytes for n in nodes), default=0) or 1
    return {
        "distributed": True,
        "nodes": [{"node": n.node, "tenants": n.tenants, "size": cluster.human_size(n.size_bytes),
                   "percent": round(100 * n.size_bytes / largest)} for n in nodes],
        "placements": [{"slug": p.slug, "schema_name": p.schema_name, "node": p.node,
                        "size": cluster.human_size(p.size_bytes),
                        "targets": [n.node for n in nodes if n.node != p.node]}
                       for p in placements],
        "plan": [{"slug": m.slug, "size": cluster.human_size(m.size_bytes), "source": m.source,
                  "target": m.target}
                 for m in cluster.plan_rebalance(placements, [n.node for n in nodes])],
    }


@operator_page
@require_GET
def cluster_overview(request: HttpRequest) -> HttpResponse:
    context = _overview_context() if citus_enabled() else {"distributed": False}
    return render(request, "console/cluster.html", context)


def _refused(request: HttpRequest, error: PlatformError) -> HttpResponse:
    """The section again with why the action was refused, and the matching status."""
    context = _overview_context() if citus_enabled() else {"distributed": False}
    field_messages = [m for msgs in error.fields.values() for m in msgs]
    context["error"] = " ".join(field_messages) if field_messages else error.message
    return render(request, "console/cluster.html", context, status=error.status)


@operator_page
@require_POST
def cluster_move(request: HttpRequest, slug: str) -> HttpResponse:
    node = request.POST.get("node", "").strip()
    try:
        cluster.tenant_move_check(slug=slug, node=node)
    except PlatformError as error:
        return _refused(request, error)
    job = operator_job_queue(move_tenant, kind="move", target=slug, slug=slug, node=node)
    return redirect("console:cluster-job", job_id=job.id)


@operator_page
@require_POST
def cluster_rebalance(request: HttpRequest) -> HttpResponse:
    try:
        cluster.ensure_distributed()
    except PlatformError as error:
        return _refused(request, error)
    job = operator_job_queue(rebalance_cluster, kind="rebalance", target="")
    return redirect("console:cluster-job", job_id=job.id)


@operator_page
@require_GET
def cluster_job(request: HttpRequest, job_id: str) -> HttpResponse:
    result = AsyncResult(job_id, app=move_tenant.app)
    info = result.info if isinstance(result.info, dict) else {}
    index, total = info.get("index"), info.get("total")
    job = {
        "id": job_id,
        "state": result.state,
        "running": result.state in RUNNING,
        "step": info.get("step"),
        "index": index,
        "total": total,
        "percent": round(100 * (index or 0) / total) if total else None,
        "result": result.result if result.successful() else None,
        "error": str(result.result) if result.failed() else None,
    }
    template = "console/_cluster_job.html" if request.htmx else "console/cluster_job.html"
    return render(request, template, {"job": job})


def tenant_placement_panel(request: HttpRequest, tenant) -> str:
    """The tenant page's panel (shared_apps/console/panels.py): the tenant's node and size with a
    form to move it. Nothing on a platform that is not distributed."""
    if not citus_enabled():
        return ""
    placement = cluster.tenant_placement(slug=tenant.slug)
    return render_to_string("console/_placement_panel.html", {
        "placement": placement, "size": cluster.human_size(placement.size_bytes),
        "targets": [n for n in worker_nodes() if n != placement.node],
        "action": reverse("console:cluster-move", args=[tenant.slug]),
    }, request=request)


# Included at /console/cluster/ by urls.py, in the "console" namespace.
urlpatterns = [
    path("", cluster_overview, name="cluster"),
    path("tenants/<slug:slug>/move", cluster_move, name="cluster-move"),
    path("rebalance", cluster_rebalance, name="cluster-rebalance"),
    path("jobs/<str:job_id>/", cluster_job, name="cluster-job"),
]
