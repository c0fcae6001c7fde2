"""The team in the API: /api/v1/members (list, read, change role, remove, transfer ownership)
and /api/v1/invitations (pending ones: list, read, invite, re-send, revoke). Reading needs a
viewer, changing an admin; the role rules themselves (owners, the last owner) are the
services' (tenant_apps.core.services.members). An API key acts with its capped role, so a key
never acts as an owner."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tenant_apps.core.api.permissions import effective_role, role_required
from tenant_apps.core.api.serializers import StrictFieldsMixin
from tenant_apps.core.models import Invitation
from tenant_apps.core.roles import Role
from tenant_apps.core.selectors.team import invitation_list_pending, member_list
from tenant_apps.core.selectors.two_factor import member_two_factor_enabled
from tenant_apps.core.services.invitations import (
    invitation_invite,
    invitation_resend,
    invitation_revoke,
)
from tenant_apps.core.services.members import (
    member_change_role,
    member_remove,
    member_transfer_ownership,
)


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    two_factor_enabled = serializers.SerializerMethodField()
    last_login = serializers.DateTimeField(read_only=True, allow_null=True)
    date_joined = serializers.DateTimeField(read_only=True)

    def get_two_factor_enabled(self, member) -> bool:
        return member_two_factor_enabled(member)


class MemberRoleSerializer(StrictFieldsMixin, serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


def _origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _workspace_name(request) -> str:
    from tenant_apps.core.services.workspace import workspace_settings_get

    return workspace_settings_get().display_name or request.tenant.name


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                    viewsets.GenericViewSet):
    """The tenant's active members. ``PATCH`` changes a role, ``DELETE`` removes a member
    (their sessions and API keys stop working at once)."""

    serializer_class = MemberSerializer
    permission_classes = [role_required(read=Role.VIEWER, write=Role.ADMIN)]
    http_method_names = ["get", "patch", "delete", "post", "head", "options"]

    def get_queryset(self):
        return member_list()

    @extend_schema(request=MemberRoleSerializer, responses=MemberSerializer)
    def partial_update(self, request, *args, **kwargs):
        member = self.get_object()
        serializer = MemberRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = member_change_role(actor=request.user, actor_role=effective_role(request),
                                    member=member, role=serializer.validated_data["role"])
        return Response(MemberSerializer(member).data)

    def perform_destroy(self, instance) -> None:
        member_remove(actor=self.request.user, actor_role=effective_role(self.request),
                      member=instance)

    @extend_schema(request=None, responses=MemberSerializer)
    @action(detail=True, methods=["post"], url_path="transfer-ownership")
    def transfer_ownership(self, request, pk=None):
        """Make this member an owner; the caller (an owner, signed in) becomes an admin."""
        member = member_transfer_ownership(actor=request.user,
                                           actor_role=effective_role(request),
                                           member=self.get_object())
        return Response(MemberSerializer(member).data)


class InvitationSerializer(serializers.ModelSerializer):
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True,
                                        allow_null=True, default=None)
    is_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "invited_by", "created_at", "sent_at", "expires_at",
                  "is_expired"]
        read_only_fields = fields


class InvitationSentSerializer(InvitationSerializer):
    link = serializers.CharField(read_only=True,
                                 help_text="The single-use link, shown once (also e-mailed).")
    emailed = serializers.BooleanField(read_only=True)

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "link", "emailed"]
        read_only_fields = fields


class InvitationCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


def _sent(sent) -> dict:
    return InvitationSerializer(sent.invitation).data | {"link": sent.link,
                                                         "emailed": sent.emailed}


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    """Pending invitations (not accepted, not revoked; expired ones included, to re-send).
    Inviting an address that has a pending invitation replaces it."""

    serializer_class = InvitationSerializer
    permission_classes = [role_required(read=Role.ADMIN, write=Role.ADMIN)]

    def get_queryset(self):
        return invitation_list_pending()

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSentSerializer})
    def create(self, request):
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sent = invitation_invite(invited_by=request.user, actor_role=effective_role(request),
                                 base_url=_origin(request),
                                 workspace_name=_workspace_name(request),
                                 **serializer.validated_data)
        return Response(_sent(sent), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvitationSentSerializer)
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        """A new link, valid 7 days, e-mailed; the previous link stops working."""
        invitation = self.get_object()
        sent = invitation_resend(invitation_id=invitation.pk,
                                 actor_role=effective_role(request), base_url=_origin(request),
                                 workspace_name=_workspace_name(request), sent_by=request.user)
        return Response(_sent(sent))

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """The link stops working at once; the invitation leaves the pending list."""
        invitation = self.get_object()
        return Response(InvitationSerializer(
            invitation_revoke(invitation_id=invitation.pk,
                              actor_role=effective_role(request))).data)
