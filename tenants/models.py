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
    # Who the tenant was created for (its first owner), so operators can search by it
    # without entering every schema.
    owner_email = models.EmailField(blank=True, default="", db_index=True)
    # Why an operator suspended the tenant: shown to its users on the 403 page and API error.
    suspension_reason = models.CharField(max_length=500, blank=True, default="")
    # When the tenant last served a request, written at most once per
    # TENANT_ACTIVITY_WRITE_SECONDS per process (tenants/activity.py), never once per request.
    last_activity_at = models.DateTimeField(null=True, blank=True, db_index=True)
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

    # The slug names the schema and the primary domain: renaming it would leave both behind
    # (the host then answers 404). It is immutable once the row exists, whatever path saves it.
    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_identity = (instance.__dict__.get("slug"),
                                     instance.__dict__.get("schema_name"))
        return instance

    def save(self, *args, **kwargs) -> None:
        loaded = getattr(self, "_loaded_identity", None)
        if loaded is not None and None not in loaded and loaded != (self.slug, self.schema_name):
            from tenant_apps.core.errors import Conflict

            raise Conflict(f"A tenant's slug is immutable (it names the schema {loaded[1]} and "
                           "its domains); create a new tenant instead.", code="slug_immutable",
                           fields={"slug": ["The slug cannot be changed once created."]})
        super().save(*args, **kwargs)
        self._loaded_identity = (self.slug, self.schema_name)

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

    @classmethod
    def held_elsewhere(cls, names: list[str], tenant_id: int | None) -> list[str]:
        """Those of ``names`` that another tenant than ``tenant_id`` holds, itself or through
        its ``www.`` twin (the router serves ``www.<domain>`` as ``<domain>``)."""
        def twins(name: str) -> set[str]:
            return {name, name[4:] if name.startswith("www.") else f"www.{name}"}

        wanted = {name: twins(name) for name in names}
        held = set(cls.objects.filter(domain__in=set().union(*wanted.values()))
                   .exclude(tenant_id=tenant_id).values_list("domain", flat=True))
        return [name for name, pair in wanted.items() if pair & held]

    def clean(self) -> None:
        # The console's domain form: the one-tenant rule of every service path
        # (tenants/domains.py), as a field error.
        from django.core.exceptions import ValidationError

        super().clean()
        name = (self.domain or "").strip().lower()
        if name and Domain.held_elsewhere([name], self.tenant_id):
            raise ValidationError({"domain": f"{name} (or its www. alias) belongs to another "
                                             "tenant."})


# The fleet's bookkeeping (migration runs, the schema pool) lives in its own module.
from tenants.fleet.models import FleetRun, FleetRunTenant, PoolSchema  # noqa: E402, F401
from tenants.plan_models import Plan, TenantUsage  # noqa: E402, F401
