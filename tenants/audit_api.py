"""The operator API's audit and support endpoints (/api/operator/v1/):

* ``GET audit``: the platform log, newest first, paginated, filtered by ``actor``, ``action``,
  ``target``, ``since``, ``until`` (a malformed filter is a 400);
* ``GET tenants/{slug}/audit``: that tenant's own log, the same way;
* ``POST tenants/{slug}/impersonations`` ``{"user_email"}``: a single-use "view as" link, valid
  60 seconds (tenants/impersonation.py)."""

from __future__ import annotations

from django_tenants.utils import schema_context
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from shared_apps.audit.models import PlatformAuditEntry
from tenant_apps.core.api.audit import FILTER_PARAMETERS
from tenant_apps.core.api.pagination import StandardPagination
from tenant_apps.core.api.serializers import StrictFieldsMixin
from tenant_apps.core.audit_log import audit_filter
from tenant_apps.core.errors import NotFound
from tenant_apps.core.models import TenantAuditEntry
from tenants.api import OperatorView
from tenants.impersonation import impersonation_start, link_address
from tenants.models import Tenant, TenantState


class PlatformEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PlatformAuditEntry
        fields = ["id", "at", "actor", "action", "target", "detail", "ip"]
        read_only_fields = fields


class TenantEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = TenantAuditEntry
        fields = ["id", "at", "actor", "impersonator", "action", "target", "detail", "ip"]
        read_only_fields = fields


class ImpersonationRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    user_email = serializers.EmailField(help_text="The member to view the workspace as.")


class ImpersonationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tenant = serializers.CharField()
    user_email = serializers.EmailField()
    link = serializers.CharField(help_text="Open within 60 seconds; it works once.")
    expires_at = serializers.DateTimeField()


def _page(view: OperatorView, request: Request, rows, serializer) -> Response:
    paginator = StandardPagination()
    page = paginator.paginate_queryset(audit_filter(rows, request.query_params), request, view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


def _tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.exclude(schema_name="public").filter(slug=slug).first()
    if tenant is None:
        raise NotFound(f"No tenant '{slug}'.", code="tenant_not_found")
    return tenant


class PlatformAuditView(OperatorView):
    pagination_class = StandardPagination  # so the schema describes the envelope it answers
    @extend_schema(parameters=FILTER_PARAMETERS,
                   responses=PlatformEntrySerializer(many=True))
    def get(self, request: Request) -> Response:
        return _page(self, request, PlatformAuditEntry.objects.all(), PlatformEntrySerializer)


class TenantAuditView(OperatorView):
    pagination_class = StandardPagination
    @extend_schema(parameters=FILTER_PARAMETERS, responses=TenantEntrySerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        tenant = _tenant(slug)
        if tenant.state not in (TenantState.ACTIVE, TenantState.SUSPENDED):
            raise NotFound(f"Tenant '{slug}' is {tenant.state}: its log left with its schema.",
                           code="tenant_log_unavailable")
        with schema_context(tenant.schema_name):
            return _page(self, request, TenantAuditEntry.objects.all(), TenantEntrySerializer)


class ImpersonationsView(OperatorView):
    @extend_schema(request=ImpersonationRequestSerializer,
                   responses={201: ImpersonationSerializer})
    def post(self, request: Request, slug: str) -> Response:
        """Open the returned link within 60 seconds to view the workspace as the member, for
        at most 30 minutes. Refused (403 ``support_access_off``) when the workspace's owner
        switched support access off."""
        serializer = ImpersonationRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _tenant(slug)
        started = impersonation_start(slug=slug, user_email=serializer.validated_data[
            "user_email"], operator=request.user, **link_address(request))
        imp = started.impersonation
        body = {"id": imp.pk, "tenant": imp.tenant_slug, "user_email": imp.user_email,
                "link": started.link, "expires_at": imp.token_expires_at}
        return Response(ImpersonationSerializer(body).data, status=status.HTTP_201_CREATED)
