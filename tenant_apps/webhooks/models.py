"""Outgoing webhooks of one tenant (tables in its schema): endpoints, the outbox of events, one
delivery per (event, endpoint) and the log of its attempts."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class Endpoint(models.Model):
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True, default="")
    events = ArrayField(models.CharField(max_length=64))
    enabled = models.BooleanField(default=True)
    # Standard Webhooks secrets ("whsec_" + base64 of 32 random bytes). After a rotation the
    # previous one keeps signing alongside the new one until it expires.
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """The outbox: written in the transaction of the change it reports. ``body`` is the exact
    JSON sent (signed bytes stay identical across attempts)."""

    msg_id = models.CharField(max_length=40, unique=True)  # the webhook-id header
    type = models.CharField(max_length=64)
    body = models.TextField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.msg_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker is attempting it: another worker keeps off until it lapses (a worker
    # killed mid-attempt leaves it to lapse, then the sweeper sends the delivery again).
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set when a dispatcher queued the delivery: another dispatch (the next notification, the
    # sweeper) leaves it alone until then, so a burst of events does not queue it many times.
    dispatched_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    is_test = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhooks_delivery_due",
                         condition=models.Q(status="pending")),
            models.Index(fields=["endpoint", "-id"], name="webhooks_delivery_endpoint"),
            models.Index(fields=["created_at"], name="webhooks_delivery_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    request_headers = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")  # the first 2 KB
    error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
