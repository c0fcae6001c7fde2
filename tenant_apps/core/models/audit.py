from django.db import models


class TenantAuditEntry(models.Model):
    """One event of this workspace's audit log (sign-ins, member and role changes, keys,
    settings, deletes, imports, anything done while an operator impersonated a member).
    Append-only; ``impersonator`` names the operator when one acted as ``actor``."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=254)
    actor_id = models.BigIntegerField(null=True, blank=True)
    impersonator = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target}"
