from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tenant_apps.core.api.serializers import StrictFieldsMixin
from tenant_apps.webhooks.catalogue import SUBSCRIBABLE
from tenant_apps.webhooks.models import Delivery, DeliveryAttempt, Endpoint
from tenant_apps.webhooks.services.delivery import event_payload


class JsonBooleanField(serializers.BooleanField):
    """true or false only: DRF would also take "yes", "0" or 1, which the schema does not."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class EndpointSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE),
                                   min_length=1, max_length=len(SUBSCRIBABLE) * 2)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    enabled = JsonBooleanField(required=False)

    class Meta:
        model = Endpoint
        fields = ["id", "url", "description", "events", "enabled", "secret",
                  "previous_secret_expires_at", "disabled_reason", "disabled_at", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "secret", "previous_secret_expires_at", "disabled_reason",
                            "disabled_at", "created_at", "updated_at"]
        extra_kwargs = {"secret": {"help_text": "Standard Webhooks signing secret (whsec_…)."}}


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "request_headers", "response_status",
                  "response_body", "error"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="event.msg_id", read_only=True,
                                     help_text="The webhook-id header.")
    event_type = serializers.CharField(source="event.type", read_only=True)
    endpoint = serializers.IntegerField(source="endpoint_id", read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "endpoint", "event_id", "event_type", "status", "attempts",
                  "next_attempt_at", "last_status_code", "last_error", "is_test", "created_at",
                  "finished_at"]
        read_only_fields = fields


class DeliveryDetailSerializer(DeliverySerializer):
    payload = serializers.SerializerMethodField()
    log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "payload", "log"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "description": "The body that was sent."})
    def get_payload(self, delivery: Delivery) -> dict:
        return event_payload(delivery.event)


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    version = serializers.IntegerField()
    description = serializers.CharField()
    reserved = serializers.BooleanField()
    subscribable = serializers.BooleanField()
    schema = serializers.JSONField(help_text="JSON schema (2020-12) of the whole payload.")
