from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from tenants import api, audit_api, cluster_api, domain_api, fleet_api, plans_api
from tenants.operator_auth import OPERATOR_AUTHENTICATION

# The operator API's own schema: only its routes, under its own title (the tenant API's schema
# is served on tenant hosts). Operators only, as the API itself.
_SCHEMA_SETTINGS = {
    "TITLE": "SaaS platform operator API",
    "DESCRIPTION": "Provision and run tenants from the public host (docs/operator-api.md).",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tenant_apps.core.api.schema.add_error_responses",
    ],
}

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(
        urlconf="tenants.api_schema_urls", custom_settings=_SCHEMA_SETTINGS,
        authentication_classes=OPERATOR_AUTHENTICATION,
        permission_classes=[api.IsOperator]), name="operator-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="operator-schema",
                                                 authentication_classes=OPERATOR_AUTHENTICATION,
                                                 permission_classes=[api.IsOperator]),
         name="operator-docs"),
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
    path("tenants/<slug:slug>/domains/<str:domain>/primary",
         domain_api.TenantDomainPrimaryView.as_view(), name="operator-tenant-domain-primary"),
    path("cluster/nodes", cluster_api.ClusterNodesView.as_view(), name="operator-cluster-nodes"),
    path("cluster/tenants", cluster_api.ClusterTenantsView.as_view(),
         name="operator-cluster-tenants"),
    path("cluster/tenants/<slug:slug>/placement", cluster_api.TenantPlacementView.as_view(),
         name="operator-cluster-placement"),
    path("cluster/tenants/<slug:slug>/move", cluster_api.TenantMoveView.as_view(),
         name="operator-cluster-move"),
    path("cluster/rebalance", cluster_api.ClusterRebalanceView.as_view(),
         name="operator-cluster-rebalance"),
    path("jobs/<str:job_id>", api.JobView.as_view(), name="operator-job"),
    *fleet_api.urlpatterns,
    path("audit", audit_api.PlatformAuditView.as_view(), name="operator-audit"),
    path("tenants/<slug:slug>/audit", audit_api.TenantAuditView.as_view(),
         name="operator-tenant-audit"),
    path("tenants/<slug:slug>/impersonations", audit_api.ImpersonationsView.as_view(),
         name="operator-tenant-impersonations"),
    path("plans", plans_api.PlanListView.as_view(), name="operator-plans"),
    path("tenants/<slug:slug>/plan", plans_api.TenantPlanView.as_view(),
         name="operator-tenant-plan"),
    path("tenants/<slug:slug>/features/<str:feature>", plans_api.TenantFeatureView.as_view(),
         name="operator-tenant-feature"),
    path("tenants/<slug:slug>/usage", plans_api.TenantUsageView.as_view(),
         name="operator-tenant-usage"),
]
