import secrets

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from tenants.slugs import validate_tenant_slug


class TenantState(models.TextChoices):
    PROVISIONING = "provisioning", "Provisioning"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    ARCHIVED = "archived", "Archived"


class Tenant(TenantMixin):
    name = models.CharField(max_length=200)
    slug = models.CharField(max_length=63, unique=True, validators=[validate_tenant_slug])
    state = models.CharField(
        max_length=20, choices=TenantState.choices, default=TenantState.PROVISIONING, db_index=True
    )
    # The last provisioning step that completed, so an interrupted run can say where it stopped.
    provisioning_step = models.CharField(max_length=40, blank=True, default="")
    provisioning_error = models.TextField(blank=True, default="")
    # What a resumed run needs that the row does not hold (owner email, custom domains, schema
    # method, an explicitly chosen owner password as a hash); emptied once the tenant is active.
    provisioning_request = models.JSONField(default=dict, blank=True)
    # Set while archived (tenants/archive/): which file holds the data, and its checksum.
    archived_at = models.DateTimeField(null=True, blank=True)
    archive_file = models.CharField(max_length=255, blank=True, default="")
    archive_sha256 = models.CharField(max_length=64, blank=True, default="")
    # An archive run in progress since (cleared when it ends), and why the last one did not
    # finish (interrupted or failed); the tenant is then still suspended with its data.
    archive_started_at = models.DateTimeField(null=True, blank=True)
    archive_error = models.TextField(blank=True, default="")
    # The plan sets the tenant's limits and features (tenants/plans/); None reads as the default
    # plan (a row written before plans existed). Per-tenant feature overrides win over the plan:
    # {"<feature>": true|false}. Both are read with the row by the router, so they cost no query.
    plan = models.ForeignKey("tenants.Plan", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="tenants")
    feature_overrides = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The provisioning pipeline creates and drops schemas itself, step by step.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_active(self) -> bool:
        return self.state == TenantState.ACTIVE


def verification_token() -> str:
    return f"saas-verify-{secrets.token_hex(16)}"


class DomainStatus(models.TextChoices):
    # Only a verified custom domain routes; subdomains of BASE_DOMAIN need no verification
    # (tenants/domains.py, docs/custom-domains.md).
    PENDING = "pending", "Pending verification"
    VERIFIED = "verified", "Verified"
    SUSPENDED = "suspended", "Suspended (TXT record removed)"


class Domain(DomainMixin):
    created_at = models.DateTimeField(auto_now_add=True)
    # Proof of ownership: a TXT record _saas-verify.<domain> holding this token.
    verification_token = models.CharField(max_length=64, default=verification_token)
    status = models.CharField(max_length=12, choices=DomainStatus.choices,
                              default=DomainStatus.PENDING, db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_error = models.CharField(max_length=300, blank=True, default="")
    # When a verified domain's TXT record was first found missing (the grace period's start).
    txt_missing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


# The fleet's bookkeeping (migration runs, the schema pool) lives in its own module.
from tenants.fleet.models import FleetRun, FleetRunTenant, PoolSchema  # noqa: E402, F401
from tenants.plan_models import Plan, TenantUsage  # noqa: E402, F401
