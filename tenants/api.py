"""The operator API on the public host (/api/operator/v1/): list, provision, suspend, activate,
archive, restore and delete tenants and manage their domains; the long ones run as Celery jobs
whose status is at /jobs/{id}. Staff users only (signed in to the console). Its own OpenAPI
schema is at /api/operator/v1/schema/ (docs/operator-api.md)."""

from __future__ import annotations

from celery.result import AsyncResult
from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.accounts.mfa import user_has_mfa
from tenant_apps.core.api.pagination import StandardPagination
from tenant_apps.core.api.serializers import StrictFieldsMixin
from tenant_apps.core.errors import Conflict
from tenants.archive.services import archive_check, recorded_archive
from tenants.filters import ORDERINGS, tenants_filtered
from tenants.jobs import operator_job_get, operator_job_queue
from tenants.models import Tenant, TenantState
from tenants.operator_auth import OPERATOR_AUTHENTICATION
from tenants.provisioning import ProvisionContext, ProvisionRequest, validate_request
from tenants.selectors import tenant_get
from tenants.services import tenant_activate, tenant_delete, tenant_rename, tenant_suspend
from tenants.tasks import archive_tenant, provision_tenant, restore_tenant


class IsOperator(permissions.BasePermission):
    message = "Operators only."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        if settings.OPERATOR_MFA_REQUIRED and not user_has_mfa(user):
            # As the console: a password alone never operates the platform in production.
            self.message = "Operators must enrol two-factor authentication (/accounts/2fa/)."
            return False
        return True


class TenantSerializer(serializers.ModelSerializer):
    domains = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = ["slug", "name", "state", "schema_name", "owner_email", "domains",
                  "suspension_reason", "last_activity_at", "provisioning_step",
                  "provisioning_error", "archived_at", "archive_file", "archive_started_at",
                  "archive_error", "created_at", "updated_at"]
        read_only_fields = fields

    def get_domains(self, tenant: Tenant) -> list[str]:
        return [d.domain for d in tenant.domains.all()]


class ProvisionSerializer(StrictFieldsMixin, serializers.Serializer):
    slug = serializers.CharField(max_length=63)
    name = serializers.CharField(max_length=200)
    owner_email = serializers.EmailField()
    owner_password = serializers.CharField(required=False, write_only=True, min_length=10,
                                           max_length=128)
    domains = serializers.ListField(child=serializers.CharField(max_length=253),
                                    required=False, max_length=20)
    plan = serializers.CharField(required=False, max_length=40,
                                 help_text="A plan's slug (GET /plans); default: the default plan.")


class TenantUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.CharField(required=False, help_text="Immutable: any other value than "
                                 "the tenant's own is refused (409 slug_immutable).")


class SuspendSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                   help_text="Shown to the tenant's users while suspended.")


class JobSerializer(serializers.Serializer):
    job_id = serializers.CharField()
    kind = serializers.CharField(help_text="provision, archive or restore")
    slug = serializers.CharField()
    state = serializers.CharField(help_text="PENDING, STARTED, PROGRESS, SUCCESS or FAILURE")
    step = serializers.CharField(allow_null=True)
    index = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField(allow_null=True)
    result = serializers.DictField(allow_null=True)
    error = serializers.CharField(allow_null=True)


class OperatorView(APIView):
    # Explicit: the defaults are the tenant API's (API keys, looked up in a tenant schema).
    authentication_classes = OPERATOR_AUTHENTICATION
    permission_classes = [IsOperator]
    throttle_classes: list = []


LIST_PARAMETERS = [
    OpenApiParameter("state", str, enum=TenantState.values),
    OpenApiParameter("search", str, description="Part of the slug, name, a domain or the "
                     "owner's e-mail."),
    OpenApiParameter("ordering", str, enum=[*ORDERINGS, *(f"-{o}" for o in ORDERINGS)]),
    OpenApiParameter("page", OpenApiTypes.INT),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 200 (default 50)."),
]


class TenantListView(OperatorView):
    pagination_class = StandardPagination  # so the schema describes the envelope it answers
    @extend_schema(parameters=LIST_PARAMETERS, responses=TenantSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Tenants, paginated like the tenant API (``count``, ``next``, ``previous``,
        ``results``)."""
        tenants = tenants_filtered(request.query_params).prefetch_related("domains")
        paginator = StandardPagination()
        page = paginator.paginate_queryset(tenants, request, view=self)
        return paginator.get_paginated_response(TenantSerializer(page, many=True).data)

    @extend_schema(request=ProvisionSerializer, responses={202: JobSerializer})
    def post(self, request: Request) -> Response:
        """Validate at once (so bad input is a 400 now, not a failed job later), then run the
        pipeline as a Celery job; poll ``/jobs/{job_id}``."""
        serializer = ProvisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The pipeline's own validation step, without side effects.
        validate_request(ProvisionContext(request=ProvisionRequest(
            slug=data["slug"], name=data["name"], owner_email=data["owner_email"],
            domains=data.get("domains", []), plan=data.get("plan"))))
        return _queued(operator_job_queue(provision_tenant, kind="provision",
                                          target=data["slug"], **data),
                       kind="provision", slug=data["slug"])


def _queued(result: AsyncResult, *, kind: str, slug: str) -> Response:
    body = {"job_id": result.id, "kind": kind, "slug": slug, "state": "PENDING", "step": None,
            "index": None, "total": None, "result": None, "error": None}
    return Response(body, status=status.HTTP_202_ACCEPTED,
                    headers={"Location": f"/api/operator/v1/jobs/{result.id}"})


class TenantDetailView(OperatorView):
    @extend_schema(responses=TenantSerializer)
    def get(self, request: Request, slug: str) -> Response:
        tenant = tenant_get(slug=slug)
        return Response(TenantSerializer(tenant).data)

    @extend_schema(request=TenantUpdateSerializer, responses=TenantSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        """Change the display name. The slug names the schema and the domains: it never
        changes (409 ``slug_immutable``)."""
        form = TenantUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if data.get("slug", slug) != slug:
            tenant_get(slug=slug)  # a 404 first for a tenant that does not exist
            raise Conflict("A tenant's slug is immutable (it names the schema and its "
                           "domains); create a new tenant instead.", code="slug_immutable",
                           fields={"slug": ["The slug cannot be changed once created."]})
        return Response(TenantSerializer(tenant_rename(slug=slug, name=data["name"])).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str) -> Response:
        """Delete the tenant and ALL its data (schema, domains, registry row). An active tenant
        is a 409 ``tenant_active``: suspend or archive it first."""
        tenant_delete(slug=slug)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TenantSuspendView(OperatorView):
    @extend_schema(request=SuspendSerializer, responses=TenantSerializer)
    def post(self, request: Request, slug: str) -> Response:
        form = SuspendSerializer(data=request.data or {})
        form.is_valid(raise_exception=True)
        tenant = tenant_suspend(slug=slug, reason=form.validated_data.get("reason", ""))
        return Response(TenantSerializer(tenant).data)


class TenantActivateView(OperatorView):
    @extend_schema(request=None, responses=TenantSerializer)
    def post(self, request: Request, slug: str) -> Response:
        return Response(TenantSerializer(tenant_activate(slug=slug)).data)


class TenantArchiveView(OperatorView):
    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request: Request, slug: str) -> Response:
        """Retire the tenant: suspend it, export its data to an archive file in
        TENANT_ARCHIVE_DIR, drop its schema. A job; poll ``/jobs/{job_id}``."""
        archive_check(slug=slug)  # a 404 or 409 now, not a failed job later
        return _queued(operator_job_queue(archive_tenant, kind="archive", target=slug,
                                          slug=slug), kind="archive", slug=slug)


class TenantRestoreView(OperatorView):
    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request: Request, slug: str) -> Response:
        """Bring an archived tenant back from its archive file, as suspended. A job; poll
        ``/jobs/{job_id}``."""
        recorded_archive(slug=slug)
        return _queued(operator_job_queue(restore_tenant, kind="restore", target=slug,
                                          slug=slug), kind="restore", slug=slug)


class JobView(OperatorView):
    @extend_schema(responses=JobSerializer)
    def get(self, request: Request, job_id: str) -> Response:
        """A job's status; 404 ``job_not_found`` for an id this API did not issue."""
        job = operator_job_get(job_id=job_id)
        return Response({k: job[k] for k in JobSerializer().fields})
