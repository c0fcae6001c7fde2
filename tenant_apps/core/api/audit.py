"""GET /api/v1/audit-log: this workspace's audit log, newest first, for owners and admins
(a signed-in session, or an API key whose scope allows admin reads). Read-only, paginated,
filtered by ``actor``, ``action``, ``target``, ``since`` and ``until``
(tenant_apps/core/audit_log.py)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets

from tenant_apps.core.api.permissions import role_required
from tenant_apps.core.audit_log import audit_filter
from tenant_apps.core.models import TenantAuditEntry
from tenant_apps.core.roles import Role


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = TenantAuditEntry
        fields = ["id", "at", "actor", "impersonator", "action", "target", "detail", "ip"]
        read_only_fields = fields


FILTER_PARAMETERS = [
    OpenApiParameter("actor", OpenApiTypes.STR, description="Part of the actor's e-mail."),
    OpenApiParameter("action", OpenApiTypes.STR,
                     description="An action (api_key.create), or a prefix ending in a dot."),
    OpenApiParameter("target", OpenApiTypes.STR, description="Part of the target."),
    OpenApiParameter("since", OpenApiTypes.STR, description="ISO date or date-time."),
    OpenApiParameter("until", OpenApiTypes.STR,
                     description="ISO date (the whole day included) or date-time."),
]


@extend_schema(parameters=FILTER_PARAMETERS)
class AuditLogViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """This workspace's audit log (owners and admins)."""

    serializer_class = AuditEntrySerializer
    permission_classes = [role_required(read=Role.ADMIN, write=Role.OWNER)]
    filter_backends: list = []  # the filters above, validated (a bad date is a 400)

    def get_queryset(self):
        return audit_filter(TenantAuditEntry.objects.all(), self.request.query_params)
