"""Team changes leave one entry each in the workspace's audit log, naming who acted."""

from tenant_apps.core.actor import Actor, acting_as
from tenant_apps.core.models import TenantAuditEntry


def test_role_change_removal_and_ownership_transfer_are_audited(make_user, in_tenant):
    from tenant_apps.core.services.members import (
        member_change_role,
        member_remove,
        member_transfer_ownership,
    )

    owner = make_user("acme", role="owner")
    member = make_user("acme", role="member")
    leaver = make_user("acme", role="viewer")
    with in_tenant("acme"), acting_as(Actor(owner.email, owner.pk)):
        before = TenantAuditEntry.objects.count()
        member_change_role(actor=owner, actor_role="owner", member=member, role="admin")
        member_remove(actor=owner, actor_role="owner", member=leaver)
        member_transfer_ownership(actor=owner, actor_role="owner", member=member)
        entries = list(TenantAuditEntry.objects.order_by("id")[before:].values_list(
            "actor", "action", "target", "detail"))
    assert [(a, act, t) for a, act, t, _ in entries] == [
        (owner.email, "member.role_change", member.email),
        (owner.email, "member.remove", leaver.email),
        (owner.email, "member.transfer_ownership", member.email)]
    assert entries[0][3]["from"] == "member" and entries[0][3]["to"] == "admin"
    with in_tenant("globex"):
        assert not TenantAuditEntry.objects.filter(target=member.email).exists()
