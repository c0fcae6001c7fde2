"""Demo team for ``manage.py seed_demo`` (run inside the tenant's schema): an admin, a member and
a viewer beside the owner, and one pending invitation, so the team page and the members and
invitations API have something to show. The demo colleagues have no password (they would join by
invitation or a password reset); the demo owner keeps the printed demo password. Idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from tenant_apps.core.models import Invitation
from tenant_apps.core.roles import Role
from tenant_apps.core.services.invitations import invitation_create

TEAM = [("ada.admin@example.com", "Ada Admin", Role.ADMIN),
        ("max.member@example.com", "Max Member", Role.MEMBER),
        ("vera.viewer@example.com", "Vera Viewer", Role.VIEWER)]
INVITED = ("new.hire@example.com", Role.MEMBER)


def seed() -> None:
    User = get_user_model()
    for email, full_name, role in TEAM:
        if not User.objects.filter(email=email).exists():
            User.objects.create_user(email=email, password=None, full_name=full_name, role=role)
    email, role = INVITED
    if not Invitation.objects.filter(email=email).exists():
        owner = User.objects.filter(role=Role.OWNER).order_by("pk").first()
        invitation_create(email=email, role=role, invited_by=owner)
