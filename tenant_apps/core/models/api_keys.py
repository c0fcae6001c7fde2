"""API keys for integrators, and the idempotency records of the tenant API.

A key is shown once at creation as ``<prefix>.<secret>``; only the prefix (to find it and to show
it in lists) and a SHA-256 of the whole key are stored. The key is random (256 bits), so a fast
hash is right here: there is nothing to brute-force, and checking it on every request must be
cheap (a password hash such as Argon2 would cost ~50 ms per API call)."""

from django.conf import settings
from django.db import models


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


class ApiKey(models.Model):
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=12, choices=ApiKeyScope.choices,
                             default=ApiKeyScope.READ)
    # Requests made with the key act as this user, limited by the scope; deactivating the user
    # disables the key.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="api_keys")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # After this the key is refused like a revoked one; empty = never expires.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.expires_at is not None and self.expires_at <= timezone.now()


class IdempotencyRecord(models.Model):
    key = models.CharField(max_length=255)
    caller = models.CharField(max_length=64)
    path = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "caller", "path"], name="idempotency_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.path} {self.key}"
