"""Custom domains in the operator API (/api/operator/v1/tenants/{slug}/domains…) and the TLS
proxy's on-demand certificate check (GET /internal/tls-ask?domain=…, public host)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from tenant_apps.core.api.serializers import StrictFieldsMixin
from tenant_apps.core.errors import NotFound
from tenants.api import OperatorView
from tenants.domains import (
    domain_add,
    domain_check,
    domain_instructions,
    domain_remove,
    domain_set_primary,
    tls_allowed,
)
from tenants.models import Domain, Tenant


class DomainSerializer(serializers.ModelSerializer):
    dns = serializers.SerializerMethodField()

    class Meta:
        model = Domain
        fields = ["domain", "is_primary", "status", "verified_at", "last_checked_at",
                  "last_check_error", "txt_missing_since", "dns", "created_at"]
        read_only_fields = fields

    def get_dns(self, domain: Domain) -> dict:
        info = domain_instructions(domain)
        return {"txt": {"name": info.txt_name, "value": info.txt_value},
                "cname": {"name": info.cname_name, "target": info.cname_target}}


class DomainAddSerializer(StrictFieldsMixin, serializers.Serializer):
    domain = serializers.CharField(max_length=253)


def _tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise NotFound(f"No tenant '{slug}'.", code="tenant_not_found")
    return tenant


def _domain(tenant: Tenant, name: str) -> Domain:
    domain = tenant.domains.filter(domain=name.lower()).first()
    if domain is None:
        raise NotFound(f"No domain {name} for this tenant.", code="domain_not_found")
    return domain


class TenantDomainsView(OperatorView):
    @extend_schema(responses=DomainSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        return Response(DomainSerializer(_tenant(slug).domains.all(), many=True).data)

    @extend_schema(request=DomainAddSerializer, responses={201: DomainSerializer})
    def post(self, request: Request, slug: str) -> Response:
        """Add a custom domain, unverified; the answer says which DNS records to create."""
        form = DomainAddSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        domain = domain_add(tenant=_tenant(slug), domain=form.validated_data["domain"])
        return Response(DomainSerializer(domain).data, status=status.HTTP_201_CREATED)


class TenantDomainView(OperatorView):
    @extend_schema(responses=DomainSerializer)
    def get(self, request: Request, slug: str, domain: str) -> Response:
        return Response(DomainSerializer(_domain(_tenant(slug), domain)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str, domain: str) -> Response:
        domain_remove(tenant=_tenant(slug), domain=domain.lower())
        return Response(status=status.HTTP_204_NO_CONTENT)


class TenantDomainCheckView(OperatorView):
    @extend_schema(request=None, responses=DomainSerializer)
    def post(self, request: Request, slug: str, domain: str) -> Response:
        """Check the domain's TXT record now (the periodic job does it every 5 minutes)."""
        checked = domain_check(domain=_domain(_tenant(slug), domain))
        return Response(DomainSerializer(checked).data)


class TenantDomainPrimaryView(OperatorView):
    @extend_schema(request=None, responses=DomainSerializer)
    def post(self, request: Request, slug: str, domain: str) -> Response:
        """Make the domain the tenant's primary address (a custom domain must be verified)."""
        return Response(DomainSerializer(domain_set_primary(tenant=_tenant(slug),
                                                            domain=domain)).data)


@require_GET
def tls_ask(request: HttpRequest) -> HttpResponse:
    """Caddy's ``on_demand_tls { ask … }``: 200 lets it obtain a certificate for ``domain``,
    anything else refuses."""
    allowed = tls_allowed(request.GET.get("domain", ""))
    return HttpResponse("ok" if allowed else "no", status=200 if allowed else 404,
                        content_type="text/plain")
