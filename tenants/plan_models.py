"""Plans and per-day usage, in ``public``. A limit of ``None`` means unlimited."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

FEATURE_NAME = RegexValidator(r"^[a-z][a-z0-9_.-]{0,62}$",
                              "A feature name is lowercase letters, digits, '_', '.' or '-'.")

# The limits a plan sets, in the order they are shown; each is a nullable positive integer.
LIMIT_FIELDS = ("members", "products", "employees", "api_requests_per_minute", "storage_mb")


class Plan(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    # Limits: None = unlimited.
    members = models.PositiveIntegerField(null=True, blank=True)
    products = models.PositiveIntegerField(null=True, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    api_requests_per_minute = models.PositiveIntegerField(null=True, blank=True)
    storage_mb = models.PositiveIntegerField(null=True, blank=True)
    # The named features the plan turns on, e.g. ["webhooks", "csv_import"].
    features = models.JSONField(default=list, blank=True)
    # The plan of a tenant provisioned without one (exactly one plan is the default).
    is_default = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)  # display order
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [models.UniqueConstraint(fields=["is_default"],
                                               condition=models.Q(is_default=True),
                                               name="one_default_plan")]

    def __str__(self) -> str:
        return self.slug

    def limits(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in LIMIT_FIELDS}


class TenantUsage(models.Model):
    """What one tenant used on one day, written by the usage collector (tenants/plans/collect.py):
    gauges (members, rows, schema size) as last measured that day, counters (API requests, jobs)
    for the whole day."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    members = models.PositiveIntegerField(default=0)
    rows = models.JSONField(default=dict)  # {"inventory.products": 40, ...}
    schema_bytes = models.BigIntegerField(default=0)
    api_requests = models.PositiveIntegerField(default=0)
    jobs = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["tenant", "day"],
                                               name="one_usage_row_per_tenant_day")]

    def __str__(self) -> str:
        return f"{self.tenant_id}@{self.day}"
