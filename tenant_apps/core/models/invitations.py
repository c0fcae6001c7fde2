"""An invitation to join the tenant: who, with which role, and a token whose SHA-256 alone is
stored (the raw token is shown once, in the link ``/invitations/<token>``). The tenant's owner
gets one when the tenant is created, instead of a password: provisioning never hashes one.

An invitation is *pending* until it is accepted, revoked or expired. Re-sending one gives it a
new token (the old link stops working: only a hash is kept, so the old link cannot be sent
again) and a new 7-day lifetime."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tenant_apps.core.roles import Role


class Invitation(models.Model):
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation of {self.email} ({self.role})"

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.expires_at <= timezone.now()
