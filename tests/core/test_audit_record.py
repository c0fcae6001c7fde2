"""Audit entries name who acted: a request's user, a named actor (CLI, tasks), else "system"."""

from django.test import RequestFactory

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformAuditEntry
from shared_apps.audit.services import platform_audit
from tenant_apps.core.actor import Actor, ActorMiddleware, acting_as
from tenant_apps.core.models import TenantAuditEntry
from tenant_apps.core.services.audit import tenant_audit


def test_platform_entry_names_the_requests_user_read_when_written(db):
    operator = User.objects.create_user(email="ops@platform.test", password="x-long-pass-1")
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")

    def view(request):
        request.user = operator  # as DRF does, after the middleware ran
        platform_audit("tenant.suspend", target="acme", detail={"reason": "unpaid"})
        return None

    before = PlatformAuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ActorMiddleware(view)(request)
    entry = PlatformAuditEntry.objects.get(id__gt=before)
    assert (entry.actor, entry.actor_id, entry.action, entry.target, entry.ip) == (
        "ops@platform.test", operator.pk, "tenant.suspend", "acme", "203.0.113.9")
    assert entry.detail == {"reason": "unpaid"}


def test_named_actor_and_system(db, in_tenant):
    # Entries cannot be deleted (docs/audit.md): count only this test's.
    before = PlatformAuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    platform_audit("tenant.activate", target="acme")
    with acting_as(Actor("cli:root")):
        platform_audit("tenant.suspend", target="acme")
    assert list(PlatformAuditEntry.objects.filter(id__gt=before).order_by("id").values_list(
        "actor", flat=True)) == [
        "system", "cli:root"]
    with in_tenant("acme"), acting_as(Actor("owner@acme.test", 7, impersonator="ops@p.test")):
        tenant_audit("member.remove", target="m@acme.test")
        entry = TenantAuditEntry.objects.get(action="member.remove")
        assert (entry.actor, entry.impersonator) == ("owner@acme.test", "ops@p.test")
    with in_tenant("globex"):
        assert not TenantAuditEntry.objects.filter(action="member.remove").exists()
