"""Deleting users never crosses schemas."""

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User


def test_an_operator_can_be_deleted_in_public(db):
    operator = User.objects.create_user(email="gone@platform.test", password="x-pass-12345",
                                        is_staff=True)
    operator.delete()  # used to query tenant-only tables (api keys, jobs...) and fail
    assert not User.objects.filter(email="gone@platform.test").exists()


def test_deleting_a_tenant_user_leaves_public_admin_log_alone(db, make_user):
    """Without tenants/deletion.py the collector follows the admin log's foreign key: with
    public on the tenant's search_path that deleted the operator's public log rows; with the
    tenant's schema alone it fails (the tenant has no django_admin_log)."""
    operator = User.objects.create_user(email="ops@platform.test", password="x-pass-12345",
                                        is_staff=True)
    LogEntry.objects.create(user=operator, content_type=ContentType.objects.get_for_model(User),
                            object_id="1", object_repr="x", action_flag=ADDITION)
    with schema_context("t_acme"):
        # A tenant user with the same primary key as the operator.
        User.objects.filter(pk=operator.pk).delete()
        User.objects.create_user(email="twin@acme.test", password="x-pass-12345",
                                 id=operator.pk)
        User.objects.get(pk=operator.pk).delete()
        assert not User.objects.filter(pk=operator.pk).exists()
    connection.set_schema_to_public()
    assert LogEntry.objects.filter(user=operator).count() == 1
    assert User.objects.filter(pk=operator.pk).exists()
