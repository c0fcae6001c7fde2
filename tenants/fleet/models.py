"""The fleet's bookkeeping in ``public``: fleet migration runs with each tenant's progress (so a
killed run resumes and a failed tenant is retried alone), and the pool of ready schemas."""

from __future__ import annotations

from django.db import models


class FleetRun(models.Model):
    """One ``migrate_all`` run that had tenants to migrate, with the plan it applied."""

    class State(models.TextChoices):
        RUNNING = "running"
        DONE = "done"  # every tenant done or fallen back successfully
        FAILED = "failed"  # some tenant failed; `migrate_all --resume` retries them

    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The migrations the plan applies ("app.name") and the plan itself (tenants.fleet.plan.Plan):
    # a resumed run needs it, the template being migrated already.
    targets = models.JSONField(default=list)
    plan = models.JSONField(default=dict)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"fleet run {self.pk} ({self.state})"


class FleetRunTenant(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        STARTED = "started"
        DONE = "done"
        FAILED = "failed"

    class Method(models.TextChoices):
        PLAN = "plan"  # the template's SQL, replayed
        DJANGO = "django"  # Django's migrate in the schema (drift, unsafe migration)

    run = models.ForeignKey(FleetRun, on_delete=models.CASCADE, related_name="tenants")
    schema_name = models.CharField(max_length=63)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.PLAN)
    reason = models.TextField(blank=True, default="")  # why Django, not the plan
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "schema_name"],
                                               name="fleet_run_tenant_unique")]

    def __str__(self) -> str:
        return f"{self.schema_name}: {self.state}"


class PoolSchema(models.Model):
    """A replayed schema waiting to become a tenant (tenants.pool): claimed by renaming it."""

    schema_name = models.CharField(max_length=63, unique=True)
    # The code's tenant migrations when it was made (md5): a pool made by an older release is
    # dropped and made again.
    migrations_hash = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.schema_name
