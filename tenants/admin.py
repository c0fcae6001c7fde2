"""The operators' console (Django admin on the public host)."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from tenant_apps.core.errors import PlatformError
from tenants.archive.services import archive_check, recorded_archive
from tenants.models import Domain, Tenant
from tenants.services import tenant_activate, tenant_suspend


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class ProvisionForm(forms.Form):
    slug = forms.CharField(max_length=63, help_text="The tenant's address: <slug>.BASE_DOMAIN.")
    name = forms.CharField(max_length=200)
    owner_email = forms.EmailField(label="Owner's e-mail",
                                   help_text="Gets an invitation link to set a password.")


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "state", "schema_name", "created_at", "archived_at"]
    list_filter = ["state"]
    search_fields = ["slug", "name"]
    readonly_fields = ["schema_name", "state", "provisioning_step", "provisioning_error",
                       "archived_at", "archive_file", "archive_sha256", "created_at",
                       "updated_at"]
    inlines = [DomainInline]
    actions = ["suspend", "activate", "archive", "restore"]

    def add_view(self, request, form_url="", extra_context=None):
        """"Add tenant" runs the provisioning pipeline (never a bare row) and shows the owner's
        invitation link, which is also e-mailed to the owner."""
        from tenants.provisioning import ProvisioningFailed, tenant_provision

        form = ProvisionForm(request.POST or None)
        ctx = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                ctx = tenant_provision(slug=data["slug"], name=data["name"],
                                       owner_email=data["owner_email"])
            except PlatformError as exc:
                for name, problems in exc.fields.items():
                    for problem in problems:
                        form.add_error(name if name in form.fields else None, problem)
                if not exc.fields:
                    form.add_error(None, exc.message)
            except ProvisioningFailed as exc:
                form.add_error(None, str(exc))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": "Create a tenant", "form": form, "ctx": ctx,
                   "has_view_permission": True}
        return TemplateResponse(request, "admin/tenants/provision.html", context)

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
