"""The operators' console (Django admin on the public host)."""

from django.contrib import admin, messages

from tenant_apps.core.errors import PlatformError
from tenants.archive.services import archive_check, recorded_archive
from tenants.models import Domain, Plan, Tenant
from tenants.services import tenant_activate, tenant_suspend


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "state", "schema_name", "created_at", "archived_at"]
    list_filter = ["state"]
    search_fields = ["slug", "name"]
    readonly_fields = ["schema_name", "state", "provisioning_step", "provisioning_error",
                       "archived_at", "archive_file", "archive_sha256", "created_at",
                       "updated_at",
                       # Changed through the audited services (console panel, API, CLI).
                       "plan", "feature_overrides"]
    inlines = [DomainInline]
    actions = ["suspend", "activate", "archive", "restore"]

    def has_add_permission(self, request) -> bool:
        # Tenants are created by the provisioning pipeline (manage.py tenant create, the job),
        # never as a bare row.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Suspend selected tenants")
    def suspend(self, request, queryset) -> None:
        self._apply(request, queryset, tenant_suspend, "suspended")

    @admin.action(description="Activate selected tenants")
    def activate(self, request, queryset) -> None:
        self._apply(request, queryset, tenant_activate, "activated")

    @admin.action(description="Archive selected tenants (export data, then drop the schema)")
    def archive(self, request, queryset) -> None:
        from tenants.tasks import archive_tenant

        self._apply(request, queryset, lambda slug: (archive_check(slug=slug),
                                                     archive_tenant.delay(slug=slug)),
                    "queued for archiving (its state shows when done)")

    @admin.action(description="Restore selected archived tenants (as suspended)")
    def restore(self, request, queryset) -> None:
        from tenants.tasks import restore_tenant

        self._apply(request, queryset, lambda slug: (recorded_archive(slug=slug),
                                                     restore_tenant.delay(slug=slug)),
                    "queued for restoring (its state shows when done)")

    def _apply(self, request, queryset, service, verb: str) -> None:
        for tenant in queryset:
            try:
                service(slug=tenant.slug)
            except PlatformError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{tenant.slug} {verb}.")


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__slug"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Raw edits of the plans (superusers); a tenant's plan changes through the console's
    "Plan & usage" panel, the operator API or the CLI, which audit it."""

    list_display = ["slug", "name", "members", "products", "employees",
                    "api_requests_per_minute", "storage_mb", "is_default", "position"]
