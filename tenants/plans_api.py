"""The operator API's plans, feature overrides and usage (/api/operator/v1/):

    GET  /plans                                every plan: limits, features, tenant count
    GET  /tenants/{slug}/plan                  the tenant's plan, overrides, resolved features
    PUT  /tenants/{slug}/plan                  {"plan": "<slug>"}: change it (audited)
    PUT  /tenants/{slug}/features/{feature}    {"enabled": true|false}: override (audited)
    DELETE /tenants/{slug}/features/{feature}  drop the override: the plan decides again
    GET  /tenants/{slug}/usage?days=30         the latest figures and the daily history

The plan change is the call a billing provider's webhook handler would make (docs/plans.md).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tenant_apps.core.api.serializers import StrictFieldsMixin
from tenant_apps.core.errors import InvalidInput
from tenant_apps.core.limits import limits_for
from tenants.api import OperatorView
from tenants.plan_models import LIMIT_FIELDS, Plan, TenantUsage
from tenants.plans.selectors import plan_list, tenant_plan, tenant_usage_history
from tenants.plans.services import tenant_feature_override, tenant_plan_change
from tenants.selectors import tenant_get


class PlanSerializer(serializers.ModelSerializer):
    tenant_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Plan
        fields = ["slug", "name", *LIMIT_FIELDS, "features", "is_default", "tenant_count"]
        read_only_fields = fields


class TenantPlanSerializer(serializers.Serializer):
    tenant = serializers.CharField()
    plan = serializers.CharField(allow_null=True)
    limits = serializers.DictField(child=serializers.IntegerField(allow_null=True))
    feature_overrides = serializers.DictField(child=serializers.BooleanField())
    features = serializers.ListField(child=serializers.CharField(),
                                     help_text="Resolved: override > plan > off.")


class PlanChangeSerializer(StrictFieldsMixin, serializers.Serializer):
    plan = serializers.CharField(max_length=40)


class FeatureOverrideSerializer(StrictFieldsMixin, serializers.Serializer):
    enabled = serializers.BooleanField()


class UsageSerializer(serializers.ModelSerializer):
    class Meta:
        model = TenantUsage
        fields = ["day", "members", "rows", "schema_bytes", "api_requests", "jobs",
                  "last_activity_at", "collected_at"]
        read_only_fields = fields


class TenantUsageSerializer(serializers.Serializer):
    tenant = serializers.CharField()
    latest = UsageSerializer(allow_null=True)
    history = UsageSerializer(many=True)


def tenant_plan_body(tenant) -> dict:
    plan = tenant_plan(tenant)
    limits = limits_for(tenant)
    return {"tenant": tenant.slug, "plan": plan.slug if plan else None,
            "limits": {name: limits.limit(name) for name in LIMIT_FIELDS},
            "feature_overrides": tenant.feature_overrides or {},
            "features": sorted(limits.features)}


class PlanListView(OperatorView):
    @extend_schema(responses=PlanSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(PlanSerializer(plan_list(), many=True).data)


class TenantPlanView(OperatorView):
    @extend_schema(responses=TenantPlanSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(tenant_plan_body(tenant_get(slug=slug)))

    @extend_schema(request=PlanChangeSerializer, responses=TenantPlanSerializer)
    def put(self, request: Request, slug: str) -> Response:
        """Move the tenant to another plan (audited as ``tenant.plan_change``); its limits and
        features apply from the next request."""
        serializer = PlanChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tenant_get(slug=slug)  # an unknown tenant is a 404 before a bad plan is a 400
        tenant = tenant_plan_change(slug=slug, plan=serializer.validated_data["plan"])
        return Response(tenant_plan_body(tenant))


class TenantFeatureView(OperatorView):
    @extend_schema(request=FeatureOverrideSerializer, responses=TenantPlanSerializer)
    def put(self, request: Request, slug: str, feature: str) -> Response:
        serializer = FeatureOverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tenant = tenant_feature_override(slug=slug, feature=feature,
                                         enabled=serializer.validated_data["enabled"])
        return Response(tenant_plan_body(tenant))

    @extend_schema(request=None, responses=TenantPlanSerializer)
    def delete(self, request: Request, slug: str, feature: str) -> Response:
        tenant = tenant_feature_override(slug=slug, feature=feature, enabled=None)
        return Response(tenant_plan_body(tenant))


class TenantUsageView(OperatorView):
    @extend_schema(parameters=[OpenApiParameter("days", int, description="1 to 366; 30")],
                   responses=TenantUsageSerializer)
    def get(self, request: Request, slug: str) -> Response:
        tenant = tenant_get(slug=slug)
        raw = request.query_params.get("days", "30")
        if not raw.isdigit() or not 1 <= int(raw) <= 366:
            raise InvalidInput(fields={"days": ["A whole number from 1 to 366."]})
        history = list(tenant_usage_history(tenant=tenant, days=int(raw)))
        return Response({"tenant": tenant.slug,
                         "latest": UsageSerializer(history[0]).data if history else None,
                         "history": UsageSerializer(history, many=True).data})
