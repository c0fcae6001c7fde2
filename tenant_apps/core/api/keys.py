from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tenant_apps.core.api.permissions import SessionOnly, role_required
from tenant_apps.core.api.serializers import StrictFieldsMixin
from tenant_apps.core.models import ApiKey, ApiKeyScope
from tenant_apps.core.roles import Role
from tenant_apps.core.services.api_keys import api_key_create, api_key_revoke


class ApiKeySerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "scope", "created_by", "created_at", "last_used_at",
                  "revoked_at", "is_active"]
        read_only_fields = fields


class ApiKeyCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scope = serializers.ChoiceField(choices=ApiKeyScope.choices, default=ApiKeyScope.READ)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """API keys of this tenant. Admins only, and only from a signed-in session."""

    serializer_class = ApiKeySerializer
    permission_classes = [role_required(read=Role.ADMIN, write=Role.ADMIN), SessionOnly]
    queryset = ApiKey.objects.select_related("created_by")
    search_fields = ["name", "prefix"]
    ordering_fields = ["id", "name", "created_at", "last_used_at", "expires_at"]

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request):
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = api_key_create(created_by=request.user, **serializer.validated_data)
        data = ApiKeySerializer(created.api_key).data | {"key": created.raw_key}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        self.get_object()  # 404 for an unknown id, in this tenant
        return Response(ApiKeySerializer(api_key_revoke(key_id=int(pk))).data)
