"""The operator API for the Citus cluster (/api/operator/v1/cluster/...; docs/scaling.md): the
worker nodes with their tenants, a tenant's placement, moving a tenant and rebalancing (jobs,
polled at /jobs/{id} like provisioning). On a platform that is not distributed every endpoint
answers 409 ``not_distributed``."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tenant_apps.core.api.serializers import StrictFieldsMixin
from tenants.api import JobSerializer, OperatorView, _queued
from tenants.cluster import (
    cluster_nodes,
    ensure_distributed,
    rebalance_plan,
    tenant_move_check,
    tenant_placement,
    tenant_placements,
)
from tenants.jobs import operator_job_queue
from tenants.tasks import move_tenant, rebalance_cluster


class NodeSerializer(serializers.Serializer):
    node = serializers.CharField(help_text="host:port of the worker")
    tenants = serializers.IntegerField()
    size_bytes = serializers.IntegerField(help_text="total size of its tenants' schemas")


class PlacementSerializer(serializers.Serializer):
    slug = serializers.CharField()
    schema_name = serializers.CharField()
    node = serializers.CharField(allow_null=True, help_text="null: not distributed yet")
    size_bytes = serializers.IntegerField()


class MoveRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    node = serializers.CharField(max_length=300, help_text="the target worker, host:port")
    block_writes = serializers.BooleanField(
        default=False, help_text="block the tenant's writes for the whole copy instead of "
                                 "copying by logical replication")


class MoveSerializer(serializers.Serializer):
    slug = serializers.CharField()
    size_bytes = serializers.IntegerField()
    source = serializers.CharField()
    target = serializers.CharField()


class RebalanceRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    dry_run = serializers.BooleanField(default=False,
                                       help_text="only answer the plan; move nothing")


class ClusterNodesView(OperatorView):
    @extend_schema(responses=NodeSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Each worker node with how many tenants it holds and their total size."""
        return Response(NodeSerializer([asdict(n) for n in cluster_nodes()], many=True).data)


class ClusterTenantsView(OperatorView):
    @extend_schema(responses=PlacementSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Every tenant's node and size."""
        return Response(PlacementSerializer([asdict(p) for p in tenant_placements()],
                                            many=True).data)


class TenantPlacementView(OperatorView):
    @extend_schema(responses=PlacementSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(PlacementSerializer(asdict(tenant_placement(slug=slug))).data)


class TenantMoveView(OperatorView):
    @extend_schema(request=MoveRequestSerializer, responses={202: JobSerializer})
    def post(self, request: Request, slug: str) -> Response:
        """Move the tenant to another worker node, online. Checked at once (409 off Citus or
        when already there, 404 unknown tenant, 400 unknown node), then a job; poll
        ``/jobs/{job_id}``."""
        ensure_distributed()  # before the body's fields: "not on Citus" is the real answer
        serializer = MoveRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        tenant_move_check(slug=slug, node=data["node"])
        return _queued(operator_job_queue(
            move_tenant, kind="move", target=slug, slug=slug, node=data["node"],
            block_writes=data["block_writes"]), kind="move", slug=slug)


class ClusterRebalanceView(OperatorView):
    @extend_schema(request=RebalanceRequestSerializer,
                   responses={200: MoveSerializer(many=True), 202: JobSerializer})
    def post(self, request: Request) -> Response:
        """Even out the nodes by size. ``dry_run``: answer the planned moves (200). Otherwise a
        job making them one at a time (202; poll ``/jobs/{job_id}``, its result lists them)."""
        ensure_distributed()
        serializer = RebalanceRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["dry_run"]:
            return Response(MoveSerializer([asdict(m) for m in rebalance_plan()],
                                           many=True).data)
        return _queued(operator_job_queue(rebalance_cluster, kind="rebalance", target=""),
                       kind="rebalance", slug="")
