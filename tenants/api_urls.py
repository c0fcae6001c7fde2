from django.urls import path

from tenants import api

urlpatterns = [
    path("tenants", api.TenantListView.as_view(), name="operator-tenants"),
    path("tenants/<slug:slug>", api.TenantDetailView.as_view(), name="operator-tenant"),
    path("tenants/<slug:slug>/suspend", api.TenantSuspendView.as_view(),
         name="operator-tenant-suspend"),
    path("tenants/<slug:slug>/activate", api.TenantActivateView.as_view(),
         name="operator-tenant-activate"),
    path("provisioning/<str:job_id>", api.ProvisioningJobView.as_view(),
         name="operator-provisioning"),
]
