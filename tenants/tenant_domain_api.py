"""Custom domains in the tenant API (/api/v1/domains…): a workspace's admins add their own
domain, read the DNS records to create, ask for a check now, and remove it. The same services
as the operator API (tenants/domains.py), always for ``request.tenant`` and never another.

It lives in the control plane because the registry (``tenants.Domain``) is public data that
tenant apps may not import; saas_platform/urls_tenant.py mounts it next to the apps' APIs. A
tenant request's search_path holds the tenant's schema alone, so every registry read and write
here runs in ``schema_context(public)``.

API keys are accepted: a ``read_write`` key of an admin acts as an admin, so an integrator can
set a customer's domain up end to end. (A key cannot make a domain route: only the DNS record
does, and that needs control of the domain.)
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.urls import path
from django_tenants.utils import get_public_schema_name, schema_context
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from tenant_apps.core.api.idempotency import idempotent
from tenant_apps.core.api.permissions import role_required
from tenant_apps.core.errors import InvalidInput, NotFound
from tenant_apps.core.roles import Role
from tenants.domain_api import DomainAddSerializer, DomainSerializer
from tenants.domains import domain_add, domain_check, domain_remove
from tenants.models import Domain, Tenant

ADMIN_ONLY = role_required(read=Role.ADMIN, write=Role.ADMIN)


def public_registry():
    """The registry's schema, entered from a tenant request (and left back to the tenant)."""
    return schema_context(get_public_schema_name())


def is_platform_subdomain(name: str) -> bool:
    return name.endswith(f".{settings.BASE_DOMAIN}")


def custom_domains(tenant: Tenant) -> QuerySet[Domain]:
    """The tenant's custom domains (its ``<slug>.BASE_DOMAIN`` address is the platform's)."""
    return Domain.objects.filter(tenant=tenant).exclude(
        domain__endswith=f".{settings.BASE_DOMAIN}")


def own_custom_domain(tenant: Tenant, name: str) -> Domain:
    """One of the tenant's custom domains by name: 404 for a name it does not hold (another
    tenant's included: whether it exists elsewhere is not the caller's business), 400 for its
    platform address, which needs no verification and cannot be removed. Call inside
    ``public_registry()``."""
    name = (name or "").strip().lower().rstrip(".")
    # Only a plausible host name reaches the database (a NUL byte would be a 500 there).
    if not name or len(name) > 253 or not name.isascii() or not name.replace(
            ".", "").replace("-", "").isalnum():
        raise NotFound(f"No custom domain {name!r} in this workspace.", code="domain_not_found")
    found = Domain.objects.filter(tenant=tenant, domain=name).first()
    if found is None:
        raise NotFound(f"No custom domain {name} in this workspace.", code="domain_not_found")
    if is_platform_subdomain(found.domain):
        raise InvalidInput(
            f"{found.domain} is this workspace's own address on the platform: it needs no "
            "verification and cannot be removed.", code="domain_platform")
    return found


class TenantDomainsView(GenericAPIView):
    """This workspace's custom domains. Admins only (a ``read_write`` API key of an admin
    too)."""

    permission_classes = [ADMIN_ONLY]
    serializer_class = DomainSerializer
    queryset = Domain.objects.none()  # for the schema; rows come from custom_domains()
    search_fields = ["domain"]
    ordering_fields = ["domain", "status", "created_at", "verified_at"]

    @extend_schema(responses=DomainSerializer(many=True))
    def get(self, request: Request) -> Response:
        with public_registry():
            page = self.paginate_queryset(self.filter_queryset(custom_domains(request.tenant)))
            data = DomainSerializer(page, many=True).data
        return self.get_paginated_response(data)

    @extend_schema(request=DomainAddSerializer, responses={201: DomainSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        """Add a custom domain, pending; the answer holds the DNS records to create (a TXT
        record ``_saas-verify.<domain>`` with the token, and a CNAME to the platform)."""
        form = DomainAddSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with public_registry():
            domain = domain_add(tenant=request.tenant, domain=form.validated_data["domain"])
            data = DomainSerializer(domain).data
        return Response(data, status=status.HTTP_201_CREATED)


class TenantDomainView(GenericAPIView):
    permission_classes = [ADMIN_ONLY]
    serializer_class = DomainSerializer
    queryset = Domain.objects.none()
    lookup_field = "domain"

    @extend_schema(responses=DomainSerializer)
    def get(self, request: Request, domain: str) -> Response:
        with public_registry():
            data = DomainSerializer(own_custom_domain(request.tenant, domain)).data
        return Response(data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, domain: str) -> Response:
        """Remove a custom domain: the site stops answering on it at once."""
        with public_registry():
            found = own_custom_domain(request.tenant, domain)
            domain_remove(tenant=request.tenant, domain=found.domain)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TenantDomainCheckView(GenericAPIView):
    permission_classes = [ADMIN_ONLY]
    serializer_class = DomainSerializer
    queryset = Domain.objects.none()
    lookup_field = "domain"

    @extend_schema(request=None, responses=DomainSerializer)
    def post(self, request: Request, domain: str) -> Response:
        """Look the TXT record up now (the periodic check does it every 5 minutes)."""
        with public_registry():
            checked = domain_check(domain=own_custom_domain(request.tenant, domain))
            data = DomainSerializer(checked).data
        return Response(data)


# Mounted at /api/v1/ by saas_platform/urls_tenant.py: /api/v1/domains[/<domain>[/check]].
urlpatterns = [
    path("domains", TenantDomainsView.as_view(), name="tenant-domain-list"),
    path("domains/<str:domain>", TenantDomainView.as_view(), name="tenant-domain-detail"),
    path("domains/<str:domain>/check", TenantDomainCheckView.as_view(),
         name="tenant-domain-check"),
]
