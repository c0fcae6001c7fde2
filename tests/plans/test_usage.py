"""Usage per tenant: the collector's figures (members, rows per app, schema size, API requests
and jobs of the day, last activity), one row per tenant per day however often it runs; API
requests counted in Redis on the rate limiter's round trip, never in the database."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenants.models import Tenant
from tenants.plan_models import TenantUsage
from tenants.plans.collect import usage_collect


def test_collect_measures_each_tenant_and_keeps_one_row_per_day(tenants, in_tenant, make_user,
                                                               client_for):
    from tenant_apps.inventory.models import Product

    with in_tenant("acme"):
        Product.objects.create(sku="USE-1", name="Used", unit="pcs")
        products = Product.objects.count()
    make_user("acme", role="member")
    member = client_for("acme", role="member")
    for _ in range(3):
        assert member.get("/api/v1/inventory/products").status_code == 200
    connection.set_schema_to_public()

    before = timezone.now() - dt.timedelta(seconds=5)
    assert usage_collect(tenants=[tenants["acme"], tenants["globex"]]) == 2
    assert usage_collect(tenants=[tenants["acme"]]) == 1  # the day's row, rewritten
    acme = TenantUsage.objects.get(tenant=tenants["acme"])
    with in_tenant("acme"):
        from shared_apps.accounts.models import User

        members = User.objects.filter(is_active=True).count()
    connection.set_schema_to_public()
    assert acme.day == timezone.now().astimezone(dt.UTC).date()
    assert acme.members == members
    assert acme.rows["inventory.products"] == products
    assert set(acme.rows) >= {"inventory.products", "attendance.employees"}
    assert acme.schema_bytes > 100_000  # dozens of tables with their indexes
    assert acme.api_requests >= 3
    assert acme.last_activity_at >= before
    with in_tenant("globex"):
        globex_products = Product.objects.count()
    connection.set_schema_to_public()
    globex = TenantUsage.objects.get(tenant=tenants["globex"])
    assert globex.rows["inventory.products"] == globex_products  # each tenant its own figures


def test_an_api_request_writes_nothing_to_the_database(client_for):
    member = client_for("acme", role="member")
    member.get("/api/v1/me")
    with CaptureQueriesContext(connection) as queries:
        assert member.get("/api/v1/me").status_code == 200
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_jobs_of_the_day_are_counted(tenants, in_tenant):
    from tenant_apps.core.models import Job

    with in_tenant("initech"):
        Job.objects.create(kind="inventory.export_products")
        jobs_today = Job.objects.filter(
            created_at__date=timezone.now().astimezone(dt.UTC).date()).count()
    connection.set_schema_to_public()
    usage_collect(tenants=[Tenant.objects.get(slug="initech")])
    assert TenantUsage.objects.get(tenant__slug="initech").jobs == jobs_today >= 1


def test_the_periodic_job_fans_out_batches(tenants, monkeypatch):
    from tenants import tasks

    sent = []
    monkeypatch.setattr(tasks.usage_collect_batch, "delay", lambda **kw: sent.append(kw))
    assert tasks.usage_collect_fan_out() >= 1
    ids = [pk for kw in sent for pk in kw["tenant_ids"]]
    assert {t.pk for t in tenants.values()} <= set(ids)
    # A batch task run in place writes the rows.
    first = sent[0]
    assert tasks.usage_collect_batch(**first) == len(first["tenant_ids"])


def test_beat_schedules_the_collector():
    from saas_platform.celery import beat_schedule

    assert beat_schedule()["tenants-usage-collect"]["task"] == "tenants.usage_collect"
