"""The operator API on the public host (/api/operator/v1/): list, provision, suspend, activate,
archive and restore tenants; the long ones run as Celery jobs whose status is at /jobs/{id}.
Staff users only (signed in to the console)."""

from __future__ import annotations

from celery.result import AsyncResult
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenant_apps.core.api.serializers import StrictFieldsMixin
from tenant_apps.core.errors import NotFound
from tenants.archive.services import archive_check, recorded_archive
from tenants.models import Tenant
from tenants.provisioning import ProvisionContext, ProvisionRequest, validate_request
from tenants.selectors import tenant_list
from tenants.services import tenant_activate, tenant_suspend
from tenants.tasks import archive_tenant, provision_tenant, restore_tenant


class IsOperator(permissions.BasePermission):
    message = "Operators only."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class TenantSerializer(serializers.ModelSerializer):
    domains = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = ["slug", "name", "state", "schema_name", "domains", "provisioning_step",
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


class JobSerializer(serializers.Serializer):
    job_id = serializers.CharField()
    state = serializers.CharField(help_text="PENDING, STARTED, PROGRESS, SUCCESS or FAILURE")
    step = serializers.CharField(allow_null=True)
    index = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField(allow_null=True)
    result = serializers.DictField(allow_null=True)
    error = serializers.CharField(allow_null=True)


class OperatorView(APIView):
    permission_classes = [IsOperator]
    throttle_classes: list = []


class TenantListView(OperatorView):
    @extend_schema(responses=TenantSerializer(many=True))
    def get(self, request: Request) -> Response:
        tenants = tenant_list(state=request.query_params.get("state")).prefetch_related(
            "domains")
        return Response(TenantSerializer(tenants, many=True).data)

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
        return _queued(provision_tenant.delay(**data))


def _queued(result: AsyncResult) -> Response:
    body = {"job_id": result.id, "state": "PENDING", "step": None, "index": None,
            "total": None, "result": None, "error": None}
    return Response(body, status=status.HTTP_202_ACCEPTED,
                    headers={"Location": f"/api/operator/v1/jobs/{result.id}"})


class TenantDetailView(OperatorView):
    @extend_schema(responses=TenantSerializer)
    def get(self, request: Request, slug: str) -> Response:
        tenant = Tenant.objects.prefetch_related("domains").filter(slug=slug).first()
        if tenant is None:
            raise NotFound(f"No tenant '{slug}'.", code="tenant_not_found")
        return Response(TenantSerializer(tenant).data)


class TenantSuspendView(OperatorView):
    @extend_schema(request=None, responses=TenantSerializer)
    def post(self, request: Request, slug: str) -> Response:
        return Response(TenantSerializer(tenant_suspend(slug=slug)).data)


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
        return _queued(archive_tenant.delay(slug=slug))


class TenantRestoreView(OperatorView):
    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request: Request, slug: str) -> Response:
        """Bring an archived tenant back from its archive file, as suspended. A job; poll
        ``/jobs/{job_id}``."""
        recorded_archive(slug=slug)
        return _queued(restore_tenant.delay(slug=slug))


class JobView(OperatorView):
    @extend_schema(responses=JobSerializer)
    def get(self, request: Request, job_id: str) -> Response:
        result = AsyncResult(job_id, app=provision_tenant.app)
        info = result.info if isinstance(result.info, dict) else {}
        body = {
            "job_id": job_id,
            "state": result.state,
            "step": info.get("step"),
            "index": info.get("index"),
            "total": info.get("total"),
            "result": result.result if result.successful() else None,
            "error": str(result.result) if result.failed() else None,
        }
        return Response(body)
