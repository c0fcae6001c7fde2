"""The core's own routes under /api/v1/: who am I, API keys, jobs, members, invitations and the
audit log."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tenant_apps.core.api.audit import AuditLogViewSet
from tenant_apps.core.api.jobs import JobViewSet
from tenant_apps.core.api.keys import ApiKeyViewSet
from tenant_apps.core.api.me import MeView
from tenant_apps.core.api.team import InvitationViewSet, MemberViewSet

router = SimpleRouter(trailing_slash=False)
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("jobs", JobViewSet, basename="job")
router.register("members", MemberViewSet, basename="member")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("audit-log", AuditLogViewSet, basename="audit-log")

urlpatterns = [
    path("me", MeView.as_view(), name="me"),
    path("", include(router.urls)),
]
