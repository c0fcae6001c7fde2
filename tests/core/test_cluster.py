"""The cluster's operator surfaces on a platform that is NOT distributed (the normal suite):
clear refusals instead of errors from Citus's missing catalogs, and the rebalance planner.
On a real Citus cluster they are exercised by tests/citus/test_cluster.py."""

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformAuditEntry
from shared_apps.console.cluster_pages import tenant_placement_panel
from tenants.cluster import TenantPlacement, plan_rebalance
from tenants.models import Tenant

BASE = "/api/operator/v1/cluster"
# What a platform without Citus answers; on a cluster, tests/citus/test_cluster.py.
off_citus = pytest.mark.skipif(settings.TENANT_DISTRIBUTION == "citus",
                               reason="about a platform that is not distributed")


@pytest.fixture
def operator_user(db):
    return User.objects.create_user(email="ops@platform.test", password="ops-pass-123",
                                    is_staff=True)


@pytest.fixture
def api(operator_user):
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(operator_user)
    return client


@pytest.fixture
def console(operator_user):
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator_user)
    return client


@off_citus
@pytest.mark.parametrize("method,path,body", [
    ("get", "/nodes", None),
    ("get", "/tenants", None),
    ("get", "/tenants/acme/placement", None),
    ("post", "/tenants/acme/move", {"node": "10.0.0.2:5432"}),
    ("post", "/tenants/acme/move", {}),  # "not on Citus" before "node is required"
    ("post", "/rebalance", {"dry_run": True}),
    ("post", "/rebalance", {}),
])
def test_the_cluster_api_answers_409_not_distributed_off_citus(api, tenants, method, path, body):
    response = getattr(api, method)(BASE + path, body, format="json")
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "not_distributed"
    assert "TENANT_DISTRIBUTION" in error["message"]
    assert not PlatformAuditEntry.objects.filter(action__in=["tenant.move",
                                                             "cluster.rebalance"]).exists()


@off_citus
def test_the_cluster_api_is_for_operators_only(db, tenants):
    assert APIClient(HTTP_HOST="localhost").get(f"{BASE}/nodes").status_code == 401
    user = User.objects.create_user(email="nobody@platform.test", password="x-pass-12345")
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    assert client.post(f"{BASE}/tenants/acme/move", {"node": "x:1"}).status_code == 403


@off_citus
def test_the_console_cluster_section_says_plainly_the_platform_is_not_sharded(console, tenants):
    page = console.get("/console/cluster/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'aria-current="page">Cluster' in body
    assert "Not sharded" in body and "every tenant lives on the one PostgreSQL" in body
    assert "<form" not in body.split('id="not-distributed"')[1]  # nothing to move or rebalance
    assert 'aria-current="page">Cluster' not in console.get("/console/").content.decode()


@off_citus
def test_console_move_and_rebalance_off_citus_are_refused_with_the_reason(console, tenants):
    for path, data in [("/console/cluster/tenants/acme/move", {"node": "10.0.0.2:5432"}),
                       ("/console/cluster/rebalance", {})]:
        response = console.post(path, data)
        assert response.status_code == 409
        assert "TENANT_DISTRIBUTION" in response.content.decode()
    assert console.get("/console/cluster/tenants/acme/move").status_code == 405


@off_citus
def test_the_cluster_pages_are_for_operators_only(client, db):
    response = client.get("/console/cluster/", HTTP_HOST="localhost")
    assert response.status_code == 302 and "/console/cluster/" in response["Location"]
    user = User.objects.create_user(email="member@platform.test", password="x-pass-12345")
    other = Client(HTTP_HOST="localhost")
    other.force_login(user)
    assert other.get("/console/cluster/").status_code == 403
    assert other.post("/console/cluster/rebalance").status_code == 403


@off_citus
def test_the_tenant_page_has_no_placement_panel_off_citus(operator_user, tenants):
    request = RequestFactory().get("/console/", HTTP_HOST="localhost")
    request.user = operator_user
    assert tenant_placement_panel(request, Tenant.objects.get(slug="acme")) == ""


@off_citus
def test_the_cli_refuses_nodes_move_and_rebalance_off_citus(db):
    for args in (["nodes"], ["move", "acme", "--to", "10.0.0.2:5432"],
                 ["rebalance", "--dry-run"], ["rebalance"]):
        with pytest.raises(CommandError, match="not distributed"):
            call_command("tenant", *args, stdout=io.StringIO())


# -- the planner (a pure function) ---------------------------------------------------------------
def _on(node: str, *sizes: int, prefix: str = "") -> list[TenantPlacement]:
    return [TenantPlacement(f"{prefix or node}{i}", f"t_{node}{i}", node, size)
            for i, size in enumerate(sizes)]


def _loads(placements, moves, nodes) -> dict[str, int]:
    where = {p.slug: p.node for p in placements}
    where.update({m.slug: m.target for m in moves})
    sizes = {p.slug: p.size_bytes for p in placements}
    return {n: sum(sizes[s] for s, at in where.items() if at == n) for n in nodes}


def test_rebalance_moves_tenants_from_a_full_node_to_an_empty_new_one():
    placements = _on("a", 100, 100, 100, 100) + _on("b", 100, 100)
    nodes = ["a", "b", "c"]  # c: a worker just added
    moves = plan_rebalance(placements, nodes)
    assert _loads(placements, moves, nodes) == {"a": 200, "b": 200, "c": 200}
    assert len(moves) == 2 and {m.source for m in moves} == {"a"}
    assert len({m.slug for m in moves}) == len(moves)  # nobody moves twice


def test_rebalance_picks_the_tenant_that_brings_the_nodes_closest():
    placements = _on("a", 500, 300, 40) + _on("b", 200)
    moves = plan_rebalance(placements, ["a", "b"])
    assert [(m.size_bytes, m.source, m.target) for m in moves[:1]] == [(300, "a", "b")]
    loads = _loads(placements, moves, ["a", "b"])
    assert abs(loads["a"] - loads["b"]) <= 160


def test_rebalance_leaves_nearly_even_nodes_alone():
    # Two equal tenants against one: moving one would only swap the sides.
    assert plan_rebalance(_on("a", 100, 101) + _on("b", 100), ["a", "b"]) == []
    assert plan_rebalance(_on("a", 100) + _on("b", 100), ["a", "b"]) == []
    assert plan_rebalance([], ["a", "b"]) == []
    assert plan_rebalance(_on("a", 100, 100), ["a"]) == []  # one node: nowhere to go


def test_rebalance_moves_neither_empty_nor_unplaced_schemas():
    placements = [*_on("a", 0, 0, 0), TenantPlacement("new", "t_new", None, 0)]
    assert plan_rebalance(placements, ["a", "b"]) == []
