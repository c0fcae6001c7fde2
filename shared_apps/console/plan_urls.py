"""/console/plans/: the plans section and the tenant panel's forms (console/plan_pages.py)."""

from django.urls import path

from shared_apps.console import plan_pages

urlpatterns = [
    path("", plan_pages.plans, name="plans"),
    path("tenants/<slug:slug>/plan", plan_pages.tenant_plan_set, name="tenant-plan-set"),
    path("tenants/<slug:slug>/features", plan_pages.tenant_feature_set,
         name="tenant-feature-set"),
]
