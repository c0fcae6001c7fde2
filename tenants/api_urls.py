from django.urls import path

from tenants import api, domain_api, plans_api

urlpatterns = [
    path("tenants", api.TenantListView.as_view(), name="operator-tenants"),
    path("tenants/<slug:slug>", api.TenantDetailView.as_view(), name="operator-tenant"),
    path("tenants/<slug:slug>/suspend", api.TenantSuspendView.as_view(),
         name="operator-tenant-suspend"),
    path("tenants/<slug:slug>/activate", api.TenantActivateView.as_view(),
         name="operator-tenant-activate"),
    path("tenants/<slug:slug>/archive", api.TenantArchiveView.as_view(),
         name="operator-tenant-archive"),
    path("tenants/<slug:slug>/restore", api.TenantRestoreView.as_view(),
         name="operator-tenant-restore"),
    path("tenants/<slug:slug>/domains", domain_api.TenantDomainsView.as_view(),
         name="operator-tenant-domains"),
    path("tenants/<slug:slug>/domains/<str:domain>", domain_api.TenantDomainView.as_view(),
         name="operator-tenant-domain"),
    path("tenants/<slug:slug>/domains/<str:domain>/check",
         domain_api.TenantDomainCheckView.as_view(), name="operator-tenant-domain-check"),
    path("jobs/<str:job_id>", api.JobView.as_view(), name="operator-job"),
    path("plans", plans_api.PlanListView.as_view(), name="operator-plans"),
    path("tenants/<slug:slug>/plan", plans_api.TenantPlanView.as_view(),
         name="operator-tenant-plan"),
    path("tenants/<slug:slug>/features/<str:feature>", plans_api.TenantFeatureView.as_view(),
         name="operator-tenant-feature"),
    path("tenants/<slug:slug>/usage", plans_api.TenantUsageView.as_view(),
         name="operator-tenant-usage"),
]
