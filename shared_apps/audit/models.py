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


class Impersonation(models.Model):
    """An operator's "view as" of one tenant user, from the link to the end of the session.

    The link's token is signed (so a forged or stale one is refused before any lookup) and only
    its SHA-256 is stored; ``used_at`` makes it single-use and ``host`` binds it to the tenant's
    address. The tenant is named by slug, not a foreign key, so the record (like the audit
    entries) outlives the tenant."""

    tenant_slug = models.CharField(max_length=63, db_index=True)
    host = models.CharField(max_length=253)
    operator = models.CharField(max_length=254)  # the operator's e-mail
    operator_id = models.BigIntegerField(null=True, blank=True)
    user_email = models.CharField(max_length=254)  # the tenant user viewed as
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    token_expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    session_expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.operator} as {self.user_email} on {self.tenant_slug}"
