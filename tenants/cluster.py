"""The operators' view of the Citus cluster (docs/scaling.md): which worker node holds each
tenant, per-node totals, moving one tenant online, and rebalancing the nodes by size.

One service layer for the CLI (``manage.py tenant nodes|move|rebalance``), the operator API
(tenants/cluster_api.py) and the console's Cluster section, so all three check and audit alike.
On a platform that is not distributed (``TENANT_DISTRIBUTION=none``) every entry point raises
``NotDistributed`` (a 409 in the API) instead of failing on Citus's missing catalog tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction

from shared_apps.audit.services import platform_audit
from tenant_apps.core.errors import Conflict, InvalidInput
from tenants import distribution
from tenants.models import Tenant
from tenants.selectors import tenant_get

# A move must shrink the gap between the fullest and the emptiest node by at least this share,
# so that two nearly equal nodes do not trade a tenant back and forth for a few kilobytes.
MIN_GAIN = 0.2


class NotDistributed(Conflict):
    code = "not_distributed"
    message = ("Tenants are not distributed: TENANT_DISTRIBUTION is not 'citus', so every tenant "
               "lives on the one PostgreSQL and there are no nodes to show or move to.")


def ensure_distributed() -> None:
    if not distribution.citus_enabled():
        raise NotDistributed(f"{NotDistributed.message} (TENANT_DISTRIBUTION="
                             f"'{settings.TENANT_DISTRIBUTION}')")


@dataclass(frozen=True)
class NodeSummary:
    node: str  # host:port
    tenants: int
    size_bytes: int  # the tenants' schemas on this node


@dataclass(frozen=True)
class TenantPlacement:
    slug: str
    schema_name: str
    node: str | None  # None: the schema is not distributed (e.g. being provisioned)
    size_bytes: int


@dataclass(frozen=True)
class Move:
    slug: str
    size_bytes: int
    source: str
    target: str


# -- reads ---------------------------------------------------------------------------------------
def tenant_placements() -> list[TenantPlacement]:
    """Every registered tenant with its node and size, by slug."""
    ensure_distributed()
    where = distribution.placements()
    rows = Tenant.objects.exclude(schema_name="public").order_by("slug").values_list(
        "slug", "schema_name")
    result = []
    for slug, schema in rows:
        placement = where.get(schema)
        result.append(TenantPlacement(slug, schema, placement.node if placement else None,
                                      placement.size_bytes if placement else 0))
    return result


def cluster_nodes(placements: list[TenantPlacement] | None = None) -> list[NodeSummary]:
    """Each worker node (including empty ones) with its tenant count and their total size."""
    placements = tenant_placements() if placements is None else placements
    totals: dict[str, list[int]] = {node: [0, 0] for node in distribution.worker_nodes()}
    for placement in placements:
        if placement.node is None:
            continue
        entry = totals.setdefault(placement.node, [0, 0])
        entry[0] += 1
        entry[1] += placement.size_bytes
    return [NodeSummary(node, count, size) for node, (count, size) in totals.items()]


def tenant_placement(*, slug: str) -> TenantPlacement:
    ensure_distributed()
    tenant = tenant_get(slug=slug)
    placement = distribution.placements().get(tenant.schema_name)
    return TenantPlacement(tenant.slug, tenant.schema_name,
                           placement.node if placement else None,
                           placement.size_bytes if placement else 0)


# -- moving one tenant ---------------------------------------------------------------------------
def tenant_move_check(*, slug: str, node: str) -> TenantPlacement:
    """Everything that would make a move fail, raised now (so the API answers 4xx at once
    instead of a failed job later): not on Citus (409), no such tenant (404), not a worker (400),
    not distributed or already there (409)."""
    placement = tenant_placement(slug=slug)
    workers = distribution.worker_nodes()
    if node not in workers:
        raise InvalidInput(fields={"node": [f"'{node}' is not a worker node; the workers are: "
                                            f"{', '.join(workers)}."]})
    if placement.node is None:
        raise Conflict(f"Tenant '{slug}' is not distributed yet (still being provisioned?).",
                       code="not_placed")
    if placement.node == node:
        raise Conflict(f"Tenant '{slug}' is already on {node}.", code="already_on_node")
    return placement


def tenant_move(*, slug: str, node: str, block_writes: bool = False,
                progress: Callable[[str], None] | None = None) -> Move:
    """Move the tenant's schema to worker ``node`` online (``citus_schema_move``): its rows are
    copied by logical replication while it keeps serving, then writes pause for the switch.
    Audited as ``tenant.move`` in the same transaction as Citus's placement change."""
    placement = tenant_move_check(slug=slug, node=node)
    move = Move(slug, placement.size_bytes, placement.node, node)
    if progress:
        progress(f"moving {slug} ({_size(move.size_bytes)}) from {move.source} to {node}")
    with transaction.atomic():
        distribution.schema_move(placement.schema_name, node,
                                 mode="block_writes" if block_writes else "force_logical")
        platform_audit("tenant.move", target=slug,
                       detail={**asdict(move), "mode": "block_writes" if block_writes
                               else "force_logical"})
    if progress:
        progress(f"{slug} is on {node}")
    return move


# -- rebalancing ---------------------------------------------------------------------------------
def plan_rebalance(placements: list[TenantPlacement], nodes: list[str]) -> list[Move]:
    """The moves that even out the nodes by size, greedily: while some tenant on the fullest
    node would shrink its gap with the emptiest node by at least MIN_GAIN, move the one that
    brings the two closest. Each tenant moves at most once. A pure function: no database."""
    load = {node: 0 for node in nodes}
    on: dict[str, list[TenantPlacement]] = {node: [] for node in nodes}
    for p in placements:
        if p.node in load:
            load[p.node] += p.size_bytes
            on[p.node].append(p)
    moves: list[Move] = []
    moved: set[str] = set()
    while len(load) > 1:
        fullest = max(load, key=lambda n: (load[n], n))
        emptiest = min(load, key=lambda n: (load[n], n))
        gap = load[fullest] - load[emptiest]
        candidates = [p for p in on[fullest] if p.slug not in moved and p.size_bytes > 0
                      and abs(gap - 2 * p.size_bytes) <= gap * (1 - MIN_GAIN)]
        if not candidates:
            break
        best = min(candidates, key=lambda p: (abs(gap - 2 * p.size_bytes), p.slug))
        moves.append(Move(best.slug, best.size_bytes, fullest, emptiest))
        moved.add(best.slug)
        on[fullest].remove(best)
        on[emptiest].append(best)
        load[fullest] -= best.size_bytes
        load[emptiest] += best.size_bytes
    return moves


def rebalance_plan() -> list[Move]:
    ensure_distributed()
    return plan_rebalance(tenant_placements(), distribution.worker_nodes())


def cluster_rebalance(*, dry_run: bool = False,
                      progress: Callable[[str, int, int], None] | None = None) -> list[Move]:
    """Plan, then (unless ``dry_run``) make the moves one at a time, each online and audited as
    ``tenant.move``; the plan itself is audited once as ``cluster.rebalance``. A move that fails
    stops the run (the ones before it stay done: each is complete on its own)."""
    moves = rebalance_plan()
    if dry_run or not moves:
        return moves
    platform_audit("cluster.rebalance", target="cluster",
                   detail={"moves": [asdict(m) for m in moves]})
    for index, move in enumerate(moves, start=1):
        if progress:
            progress(f"moving {move.slug} ({_size(move.size_bytes)}) from {move.source} to "
                     f"{move.target}", index, len(moves))
        tenant_move(slug=move.slug, node=move.target)
    if progress:
        progress("done", len(moves), len(moves))
    return moves


def _size(size_bytes: int) -> str:
    return human_size(size_bytes)


def human_size(size_bytes: int) -> str:
    """1536 -> "1.5 kB" (binary units, as pg_size_pretty)."""
    size = float(size_bytes)
    if size < 1024:
        return f"{size_bytes} bytes"
    for unit in ("kB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            break
    return f"{size:.1f} {unit}"
