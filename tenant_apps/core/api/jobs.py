from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tenant_apps.core.api.permissions import has_role, role_required
from tenant_apps.core.errors import NotFound
from tenant_apps.core.models import Job
from tenant_apps.core.roles import Role


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    has_output = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "status", "percent", "progress_done", "progress_total",
                  "message", "result", "error", "has_output", "output_name", "created_at",
                  "started_at", "finished_at"]
        read_only_fields = fields

    def get_has_output(self, job: Job) -> bool:
        return bool(job.output_text)


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Background jobs (imports, exports) with their progress. Admins see every job of the
    tenant; others see the jobs they started."""

    serializer_class = JobSerializer
    permission_classes = [role_required(read=Role.VIEWER)]
    # ?search=products finds the product exports and imports, ?search=warehouse the jobs whose
    # message or error names one.
    search_fields = ["kind", "message", "output_name", "error"]
    ordering_fields = ["id", "created_at", "started_at", "finished_at", "kind", "status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Job.objects.none()
        qs = Job.objects.defer("input_text", "output_text")
        if not has_role(self.request, Role.ADMIN):
            qs = qs.filter(created_by=self.request.user)
        return qs

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        output = Job.objects.values_list("output_text", flat=True).get(pk=job.pk)
        if not output:
            raise NotFound("This job has no file to download.", code="no_output")
        response = HttpResponse(output, content_type="text/csv; charset=utf-8")
        filename = job.output_name or "export.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def job_accepted(job: Job) -> Response:
    """The answer of every endpoint that starts a job: 202 with the job, and where to poll it."""
    return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED,
                    headers={"Location": f"/api/v1/jobs/{job.pk}"})
