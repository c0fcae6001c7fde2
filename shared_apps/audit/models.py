from django.db import models


class PlatformAuditEntry(models.Model):
    """One operator action. Append-only: who (a copy of the e-mail, so an entry outlives its
    user), what (``action``, e.g. ``tenant.suspend``), on what (``target``: a tenant's slug),
    when, from where, and the details."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=254)
    actor_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=200, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target}"
