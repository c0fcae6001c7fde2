"""Fleet migration progress in the operator API (read-only):

* ``GET /api/operator/v1/fleet/migrations/latest``  the latest ``migrate_all`` run that had
  tenants to migrate;
* ``GET /api/operator/v1/fleet/migrations/{run}``    a given run.

Counts per state (pending, started, done, failed) and method (plan, django), rate, ETA and the
first failures, from the per-tenant progress rows the runner keeps in ``public``
(tenants/fleet/selectors.py): what the terminal's progress line shows, for the console."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tenant_apps.core.errors import NotFound
from tenants.api import OperatorView
from tenants.fleet.models import FleetRun
from tenants.fleet.selectors import fleet_run_get, fleet_run_latest, fleet_run_progress


class FleetFailureSerializer(serializers.Serializer):
    schema_name = serializers.CharField()
    method = serializers.CharField()
    error = serializers.CharField()
    attempts = serializers.IntegerField()
    finished_at = serializers.DateTimeField(allow_null=True)


class FleetRunProgressSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    state = serializers.ChoiceField(choices=FleetRun.State.choices)
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    migrations = serializers.ListField(child=serializers.CharField())
    tenants = serializers.DictField(child=serializers.IntegerField(),
                                    help_text="total, pending, started, done, failed")
    methods = serializers.DictField(child=serializers.IntegerField(),
                                    help_text="plan (the template's SQL) or django (fallback)")
    percent = serializers.FloatField()
    rate_per_s = serializers.FloatField(allow_null=True)
    eta_s = serializers.FloatField(allow_null=True)
    failed = FleetFailureSerializer(many=True, help_text="the first 50, by schema name")
    summary = serializers.DictField()


def _answer(run: FleetRun | None) -> Response:
    if run is None:
        raise NotFound("No fleet migration run.", code="fleet_run_not_found")
    return Response(FleetRunProgressSerializer(fleet_run_progress(run)).data)


class FleetMigrationLatestView(OperatorView):
    @extend_schema(responses=FleetRunProgressSerializer)
    def get(self, request: Request) -> Response:
        """The latest fleet migration run's progress (404 before the first run that had
        tenants to migrate)."""
        return _answer(fleet_run_latest())


class FleetMigrationView(OperatorView):
    @extend_schema(responses=FleetRunProgressSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        return _answer(fleet_run_get(run_id))


urlpatterns = [
    path("fleet/migrations/latest", FleetMigrationLatestView.as_view(),
         name="operator-fleet-migration-latest"),
    path("fleet/migrations/<int:run_id>", FleetMigrationView.as_view(),
         name="operator-fleet-migration"),
]
