"""The webhooks API under /api/v1/webhooks/: endpoints (admins), their deliveries, the event
catalogue. Views stay thin: serializers validate, services write, selectors read."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from tenant_apps.core.api.filters import IdFilter, StrictFilterSet
from tenant_apps.core.api.permissions import role_required
from tenant_apps.core.api.viewsets import ServiceModelViewSet
from tenant_apps.core.roles import Role
from tenant_apps.webhooks import selectors, services
from tenant_apps.webhooks.catalogue import catalogue_entries
from tenant_apps.webhooks.models import Delivery, DeliveryStatus
from tenant_apps.webhooks.serializers import (
    DeliveryDetailSerializer,
    DeliverySerializer,
    EndpointSerializer,
    EventTypeSerializer,
)

AdminOnly = role_required(read=Role.ADMIN, write=Role.ADMIN)


class EndpointViewSet(ServiceModelViewSet):
    """Webhook endpoints: a URL, the event types it receives, and its signing secret."""

    permission_classes = [AdminOnly]
    list_selector = staticmethod(selectors.endpoint_list)
    entity = "endpoint"
    create_service = staticmethod(services.endpoint_create)
    update_service = staticmethod(services.endpoint_update)
    delete_service = staticmethod(services.endpoint_delete)
    serializer_class = EndpointSerializer
    search_fields = ["url", "description"]
    ordering_fields = ["created_at", "url"]

    @extend_schema(request=None, responses=EndpointSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret; the previous one keeps signing alongside it for 24 hours."""
        endpoint = services.endpoint_rotate_secret(endpoint=self.get_object())
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a ``webhook.test`` event to this endpoint; follow it in its deliveries."""
        delivery = services.endpoint_send_test(endpoint=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryFilter(StrictFilterSet):
    endpoint = IdFilter(field_name="endpoint_id")
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event_type = django_filters.CharFilter(field_name="event__type", max_length=64)

    class Meta:
        model = Delivery
        fields = ["endpoint", "status", "event_type"]


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """The delivery log: one row per event and endpoint, with every attempt (request headers,
    response status and body excerpt, duration). Kept WEBHOOK_LOG_RETENTION_DAYS days."""

    permission_classes = [AdminOnly]
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    search_fields = ["event__type", "endpoint__url", "last_error"]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return selectors.delivery_list()

    def get_serializer_class(self):
        return DeliveryDetailSerializer if self.action == "retrieve" else DeliverySerializer

    def retrieve(self, request, *args, **kwargs):
        delivery = self.get_object()
        return Response(DeliveryDetailSerializer(delivery).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Send this delivery's event again (a new delivery, same webhook-id)."""
        replay = services.delivery_replay(delivery=self.get_object())
        return Response(DeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)


class EventTypesView(APIView):
    """The event catalogue: every type, its version and the JSON schema of its payload."""

    permission_classes = [role_required(read=Role.VIEWER, write=Role.ADMIN)]

    @extend_schema(responses=EventTypeSerializer(many=True))
    def get(self, request):
        return Response(EventTypeSerializer(catalogue_entries(), many=True).data)
