"""Each limit of a plan, enforced in the services: at the limit a write is refused with
``quota_exceeded`` (409, the limit and the current use in the message), one below it the write
goes through; the API answers in the project's error format and the web form shows the message."""

from __future__ import annotations

import math

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from tenant_apps.core.limits import MB, QuotaExceeded, storage_used_bytes


def _products(n: int, prefix: str = "Q") -> None:
    from tenant_apps.inventory.services import product_create

    for i in range(n):
        product_create(sku=f"{prefix}-{i}", name=f"Quota {i}", unit="pcs")


def test_products_quota_allows_up_to_the_limit_and_refuses_one_past(on_plan, in_tenant):
    from tenant_apps.inventory.models import Product

    with in_tenant("acme"):
        start = Product.objects.count()
    on_plan("acme", products=start + 2)
    with in_tenant("acme"):
        _products(2)  # reaches the limit
        with pytest.raises(QuotaExceeded) as refused:
            _products(1, prefix="PAST")
        assert Product.objects.count() == start + 2
    assert refused.value.code == "quota_exceeded" and refused.value.status == 409
    assert f"allows {start + 2} products; you have {start + 2}" in refused.value.message


def test_products_quota_in_the_api_and_the_web_form(on_plan, in_tenant, client_for):
    from tenant_apps.inventory.models import Product

    admin = client_for("acme", role="admin")
    with in_tenant("acme"):
        limit = Product.objects.count() + 1
    on_plan("acme", products=limit)
    first = admin.post("/api/v1/inventory/products",
                       {"sku": "API-1", "name": "One", "unit": "pcs"}, format="json")
    assert first.status_code == 201, first.content
    past = admin.post("/api/v1/inventory/products",
                      {"sku": "API-2", "name": "Two", "unit": "pcs"}, format="json")
    assert past.status_code == 409
    error = past.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert f"allows {limit} products; you have {limit}" in error["message"]
    page = admin.post("/inventory/products/new", {"sku": "WEB-1", "name": "Web", "unit": "pcs",
                                         "price": "1", "cost": "1", "reorder_level": "0",
                                         "is_active": "on"})
    assert page.status_code == 200
    assert f"allows {limit} products" in page.content.decode()


def test_employees_quota(on_plan, in_tenant, client_for):
    from tenant_apps.attendance.models import Employee
    from tenant_apps.attendance.services import employee_create

    with in_tenant("acme"):
        start = Employee.objects.count()
    on_plan("acme", employees=start + 1)
    with in_tenant("acme"):
        employee_create(code="E-1", name="First")
        with pytest.raises(QuotaExceeded) as refused:
            employee_create(code="E-2", name="Second")
        assert Employee.objects.count() == start + 1
    assert f"allows {start + 1} employees; you have {start + 1}" in refused.value.message
    past = client_for("acme", role="admin").post(
        "/api/v1/attendance/employees", {"code": "E-3", "name": "Third"}, format="json")
    assert past.status_code == 409 and past.json()["error"]["code"] == "quota_exceeded"


def test_members_quota_counts_members_and_open_invitations(on_plan, in_tenant, make_user):
    from tenant_apps.core.models import Invitation
    from tenant_apps.core.services.invitations import (
        hash_token,
        invitation_accept,
        invitation_create,
        members_count,
    )

    make_user("acme", role="admin")
    with in_tenant("acme"):
        members = members_count()
    plan = on_plan("acme", members=members + 1)
    with in_tenant("acme"):
        _, token = invitation_create(email="new@acme.test", role="member")  # the last seat
        with pytest.raises(QuotaExceeded) as refused:
            invitation_create(email="other@acme.test", role="member")
        # Inviting the same person again takes no second seat.
        invitation_create(email="NEW@acme.test", role="member")
        invitation_accept(raw_token=token, password="a-long-pass-phrase-1")
        assert members_count() == members + 1
    assert f"allows {members + 1} members; you have {members + 1}" in refused.value.message

    # A plan lowered after inviting: the invitation cannot be accepted past the new limit.
    plan.members = members + 2
    plan.save()
    with in_tenant("acme"):
        _, late = invitation_create(email="late@acme.test", role="member")
    plan.members = members + 1
    plan.save()
    with in_tenant("acme"):
        with pytest.raises(QuotaExceeded):
            invitation_accept(raw_token=late, password="a-long-pass-phrase-2")
        assert Invitation.objects.get(token_hash=hash_token(late)).accepted_at is None


def test_storage_quota(on_plan, in_tenant):
    with in_tenant("acme"):
        used = storage_used_bytes(fresh=True)
    on_plan("acme", storage_mb=math.floor(used / MB) + 1)  # just above what is used
    with in_tenant("acme"):
        _products(1, prefix="ROOM")
    on_plan("acme", storage_mb=math.floor(used / MB))  # reached
    with in_tenant("acme"), pytest.raises(QuotaExceeded) as refused:
        _products(1, prefix="FULL")
    assert "MB of storage" in refused.value.message
    with in_tenant("acme"):
        cache.delete("limits:storage_bytes")


def _clear_rate_windows(schema: str) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match=f"*:rl:tenant:{schema}:*"):
        client.delete(key)


def test_api_rate_comes_from_the_plan(on_plan, client_for):
    member = client_for("acme", role="member")
    on_plan("acme", api_requests_per_minute=3)
    _clear_rate_windows("t_acme")
    codes = [member.get("/api/v1/inventory/products").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # Another tenant, on the default plan, is not limited by acme's plan.
    assert client_for("globex", role="member").get(
        "/api/v1/inventory/products").status_code == 200
    _clear_rate_windows("t_acme")


def test_limits_are_cached_and_an_unlimited_plan_never_counts(on_plan, in_tenant,
                                                              django_assert_num_queries):
    from tenant_apps.core.limits import current_limits, quota_check

    on_plan("acme")  # every limit None
    with in_tenant("acme"):
        current_limits()  # loads the plans and acme's row once
        with django_assert_num_queries(0):
            quota_check("products", used=lambda: 1 / 0)
            assert current_limits().products is None


def test_a_products_import_past_the_quota_imports_nothing(on_plan, in_tenant, client_for,
                                                          django_capture_on_commit_callbacks,
                                                          monkeypatch):
    from tenant_apps.core.models import Job
    from tenant_apps.inventory import tasks
    from tenant_apps.inventory.models import Product
    from tests.inventory.test_imports_exports import PRODUCTS_CSV, upload

    def run_now(*, kwargs, **_options):
        with in_tenant("acme"):
            tasks.run_import.run(**kwargs)

    monkeypatch.setattr(tasks.run_import, "apply_async", run_now)
    with in_tenant("acme"):
        start = Product.objects.count()
    on_plan("acme", products=start + 2)  # the file adds 3
    admin = client_for("acme", role="admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin, PRODUCTS_CSV)
    with in_tenant("acme"):
        failed = Job.objects.get(pk=response.json()["id"])
        assert failed.status == "failed"
        assert failed.result["errors"] == [{
            "row": 1, "column": "",
            "message": f"The file adds 3 products. Your plan allows {start + 2} products; "
                       f"you have {start}. Remove some or ask the platform operator for a "
                       "larger plan."}]
        assert Product.objects.count() == start
