from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenant_apps.core.api.permissions import effective_role


class MeUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()


class MeTenantSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    user = MeUserSerializer()
    tenant = MeTenantSerializer()
    role = serializers.CharField(help_text="The role this request acts with: the user's role, "
                                           "capped by the API key's scope for a key.")


class MeView(APIView):
    """Who is calling, in which tenant, with which role (for an API key: the key's effective
    role, the user's role capped by the key's scope)."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "user": {"id": user.pk, "email": user.email, "full_name": user.full_name},
            "tenant": {"slug": request.tenant.slug, "name": request.tenant.name},
            "role": effective_role(request),
        }
        return Response(MeSerializer(data).data)
