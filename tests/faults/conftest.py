"""Fixtures of the fault tests."""

from __future__ import annotations

import secrets

import pytest
from django.db import connection
from django_tenants.utils import schema_context


@pytest.fixture
def committed_api_key(committed_db):
    """An admin API key committed in acme's schema (a server process must see it)."""
    from shared_apps.accounts.models import User
    from tenant_apps.core.services.api_keys import api_key_create

    email = f"outage-{secrets.token_hex(4)}@acme.test"
    with schema_context("t_acme"):
        user = User.objects.create_user(email=email, password="pass-word-123", role="admin")
        created = api_key_create(name="outage test", scope="read_write", created_by=user)
    connection.set_schema_to_public()
    yield created.raw_key
    with schema_context("t_acme"):
        from tenant_apps.core.models import Job

        Job.objects.filter(created_by=user).delete()
        user.api_keys.all().delete()
        user.delete()
    connection.set_schema_to_public()
