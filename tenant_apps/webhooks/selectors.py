from django.db.models import QuerySet

from tenant_apps.webhooks.models import Delivery, DeliveryAttempt, Endpoint


def endpoint_list() -> QuerySet[Endpoint]:
    return Endpoint.objects.all()


def delivery_list() -> QuerySet[Delivery]:
    return Delivery.objects.select_related("event", "endpoint")


def delivery_attempts(delivery: Delivery) -> QuerySet[DeliveryAttempt]:
    return DeliveryAttempt.objects.filter(delivery=delivery)
