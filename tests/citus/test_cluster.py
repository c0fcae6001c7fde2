"""The cluster's operator surfaces on a real Citus cluster: the API's nodes and placements,
moving a tenant as a job, the rebalance command (plan, then moves with progress, audited) and
the console's Cluster section. (Off Citus: tests/core/test_cluster.py.)"""

from __future__ import annotations

import io
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import set_urlconf
from rest_framework.test import APIClient

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformAuditEntry
from tenants.cluster import cluster_nodes, rebalance_plan, tenant_placements
from tenants.distribution import placements, schema_move, worker_nodes

pytestmark = pytest.mark.citus

BASE = "/api/operator/v1"


@pytest.fixture
def operator(committed_db):
    """An operator signed in to the API and the console (committed: a worker thread runs the
    jobs); removed afterwards. The test's audit entries stay: the log is append-only
    (docs/audit.md), so each test counts only the entries written after it started."""
    user = User.objects.create_user(email="cluster-ops@platform.test", password="ops-pass-123",
                                    is_staff=True)
    api, console = APIClient(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
    api.force_login(user)
    console.force_login(user)
    yield api, console, user
    user.delete()


def _last_entry() -> int:
    return PlatformAuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _finished(get_job, location: str) -> dict:
    deadline = time.monotonic() + 90
    status = get_job(location)
    while status["state"] not in ("SUCCESS", "FAILURE") and time.monotonic() < deadline:
        time.sleep(0.3)
        status = get_job(location)
    return status


def test_the_api_lists_each_worker_with_its_tenants_and_each_tenants_node(db, tenants):
    api = APIClient(HTTP_HOST="localhost")
    api.force_login(User.objects.create_user(email="o@platform.test", password="o-pass-12345",
                                             is_staff=True))
    nodes = api.get(f"{BASE}/cluster/nodes").json()
    where = placements()
    assert {n["node"] for n in nodes} == set(worker_nodes())
    listed = api.get(f"{BASE}/cluster/tenants").json()
    assert sum(n["tenants"] for n in nodes) == len(listed) >= 3
    for node in nodes:
        mine = [t for t in listed if t["node"] == node["node"]]
        assert node["tenants"] == len(mine)
        assert node["size_bytes"] == sum(t["size_bytes"] for t in mine)
    acme = api.get(f"{BASE}/cluster/tenants/acme/placement").json()
    assert acme["node"] == where["t_acme"].node and acme["size_bytes"] > 0
    assert api.get(f"{BASE}/cluster/tenants/ghost/placement").status_code == 404

    other = next(n for n in worker_nodes() if n != acme["node"])
    unknown = api.post(f"{BASE}/cluster/tenants/acme/move", {"node": "127.0.0.1:1"},
                       format="json")
    assert unknown.status_code == 400 and "not a worker node" in unknown.json()["error"][
        "fields"]["node"][0]
    there = api.post(f"{BASE}/cluster/tenants/acme/move", {"node": acme["node"]}, format="json")
    assert there.status_code == 409 and there.json()["error"]["code"] == "already_on_node"
    assert api.post(f"{BASE}/cluster/tenants/ghost/move", {"node": other},
                    format="json").status_code == 404
    assert placements()["t_acme"].node == acme["node"]  # none of these moved anything


def test_moving_a_tenant_through_the_api_is_a_job_and_is_audited(operator, scratch_tenant,
                                                                 celery_worker):
    api, _console, user = operator
    tenant = scratch_tenant()
    before = placements()[tenant.schema_name].node
    target = next(n for n in worker_nodes() if n != before)
    first_entry = _last_entry()
    response = api.post(f"{BASE}/cluster/tenants/{tenant.slug}/move", {"node": target},
                        format="json")
    assert response.status_code == 202, response.content
    status = _finished(lambda url: api.get(url).json(), response["Location"])
    assert status["state"] == "SUCCESS", status
    assert status["result"]["source"] == before and status["result"]["target"] == target
    placement = api.get(f"{BASE}/cluster/tenants/{tenant.slug}/placement").json()
    assert placement["node"] == target
    entry = PlatformAuditEntry.objects.get(pk__gt=first_entry, action="tenant.move",
                                           target=tenant.slug)
    assert entry.actor == user.email
    assert (entry.detail["source"], entry.detail["target"]) == (before, target)


def test_rebalance_plans_then_moves_one_at_a_time_and_evens_the_nodes(operator, scratch_tenant):
    api, _console, _user = operator
    # Two new tenants, both put on the fuller node: an imbalance the plan must undo.
    fuller = max(cluster_nodes(), key=lambda n: n.size_bytes).node
    for tenant in (scratch_tenant(), scratch_tenant()):
        if placements()[tenant.schema_name].node != fuller:
            schema_move(tenant.schema_name, fuller, mode="block_writes")
    spread_before = _spread()
    audited = PlatformAuditEntry.objects.filter(pk__gt=_last_entry())
    plan = rebalance_plan()
    assert plan and plan[0].source == fuller

    dry = io.StringIO()
    call_command("tenant", "rebalance", "--dry-run", stdout=dry)
    assert f"Plan: {len(plan)} move(s)" in dry.getvalue() and "Dry run" in dry.getvalue()
    assert all(m.slug in dry.getvalue() for m in plan)
    api_plan = api.post(f"{BASE}/cluster/rebalance", {"dry_run": True}, format="json").json()
    assert [(m["slug"], m["target"]) for m in api_plan] == [(m.slug, m.target) for m in plan]
    assert _spread() == spread_before  # a dry run moves nothing
    assert not audited.filter(action="cluster.rebalance").exists()

    out = io.StringIO()
    call_command("tenant", "rebalance", stdout=out)
    text = out.getvalue()
    assert f"[1/{len(plan)}] moving {plan[0].slug}" in text and "Rebalanced:" in text
    where = {p.slug: p.node for p in tenant_placements()}
    assert all(where[m.slug] == m.target for m in plan)
    assert _spread() < spread_before
    assert audited.filter(action="cluster.rebalance").count() == 1
    assert sorted(audited.filter(action="tenant.move").values_list("target", flat=True)) == \
        sorted(m.slug for m in plan)
    assert audited.get(action="cluster.rebalance").actor.startswith("cli:")


def _spread() -> int:
    sizes = [n.size_bytes for n in cluster_nodes()]
    return max(sizes) - min(sizes)


def test_the_console_shows_nodes_and_tenants_and_moves_one_with_progress(
        operator, scratch_tenant, celery_worker):
    _api, console, _user = operator
    tenant = scratch_tenant()
    page = console.get("/console/cluster/").content.decode()
    for node in worker_nodes():
        assert f"Node {node}" in page
    for placement in tenant_placements():
        assert placement.slug in page
    assert "Not sharded" not in page

    before = placements()[tenant.schema_name].node
    target = next(n for n in worker_nodes() if n != before)
    response = console.post(f"/console/cluster/tenants/{tenant.slug}/move", {"node": target})
    assert response.status_code == 302
    job_page = response["Location"]
    deadline = time.monotonic() + 90
    body = console.get(job_page).content.decode()
    while "Done." not in body and "failed" not in body and time.monotonic() < deadline:
        time.sleep(0.3)
        body = console.get(job_page).content.decode()
    assert f"{tenant.slug} moved from {before} to {target}" in body
    assert placements()[tenant.schema_name].node == target

    refused = console.post(f"/console/cluster/tenants/{tenant.slug}/move", {"node": target})
    assert refused.status_code == 409 and "already on" in refused.content.decode()


def test_the_tenant_page_panel_shows_the_node_and_a_move_form(db, tenants, rf):
    from shared_apps.console.cluster_pages import tenant_placement_panel

    request = rf.get("/console/")
    request.user = User.objects.create_user(email="p@platform.test", password="p-pass-12345",
                                            is_staff=True)
    set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)  # as routing does for the public host
    try:
        html = tenant_placement_panel(request, tenants["globex"])
    finally:
        set_urlconf(None)
    node = placements()["t_globex"].node
    assert f"On worker node <strong>{node}</strong>" in html
    other = next(n for n in worker_nodes() if n != node)
    assert f'<option value="{other}">' in html and 'action="/console/cluster/tenants/globex/move"' \
        in html
