"""Raw data behind the console (Django admin at /console/admin/, superusers only). Every
lifecycle action (suspend, archive, delete, domains...) is in the console, which confirms and
audits it; here a tenant can only be read, so nothing bypasses the services. The slug (and so
the schema name) is never editable anywhere."""

from django.contrib import admin

from tenants.models import Domain, Plan, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    can_delete = False
    fields = ["domain", "is_primary", "status", "verified_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "state", "owner_email", "schema_name", "created_at",
                    "last_activity_at"]
    list_filter = ["state"]
    search_fields = ["slug", "name", "owner_email"]
    inlines = [DomainInline]
    actions = None

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [f.name for f in Tenant._meta.concrete_fields]

    def has_add_permission(self, request) -> bool:
        # Tenants are created by the provisioning pipeline (console, API, CLI), never as a
        # bare row.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary", "status"]
    search_fields = ["domain", "tenant__slug"]
    readonly_fields = ["domain", "tenant", "is_primary", "status", "verification_token",
                       "verified_at", "last_checked_at", "last_check_error",
                       "txt_missing_since"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Raw edits of the plans (superusers); a tenant's plan changes through the console's
    "Plan & usage" panel, the operator API or the CLI, which audit it."""

    list_display = ["slug", "name", "members", "products", "employees",
                    "api_requests_per_minute", "storage_mb", "is_default", "position"]
