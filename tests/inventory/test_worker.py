"""The inventory's jobs on a real Celery worker and broker, in a committed scratch tenant: what
the in-process tests cannot show is that the tasks really run in the tenant that queued them."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django_tenants.utils import schema_context

from saas_platform.celery import app
from tenant_apps.core.models import Job
from tenant_apps.inventory.models import LowStockAlert, Product
from tenant_apps.inventory.tasks import check_low_stock
from tenants.tasks import fan_out
from tests.conftest import TenantClient
from tests.inventory import factories as f


@pytest.fixture
def worker(committed_db):
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=30):
        yield


def wait_for(check, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_an_import_queued_over_http_runs_on_the_worker_in_its_tenant(worker, scratch_tenant):
    from shared_apps.accounts.models import User

    tenant = scratch_tenant()
    with schema_context(tenant.schema_name):
        owner = User.objects.get(email=f"owner@{tenant.slug}.test")
    client = TenantClient(tenant.slug).login_as(owner)
    response = client.post("/api/v1/inventory/imports?kind=products",
                           data=b"sku,name\nW-1,Worker\n",
                           content_type="text/csv")
    assert response.status_code == 202, response.content

    def finished():
        with schema_context(tenant.schema_name):
            done = Job.objects.get(pk=response.json()["id"])
            return done if done.status in ("succeeded", "failed") else None

    done = wait_for(finished)
    assert done.status == "succeeded", done.error
    with schema_context(tenant.schema_name):
        assert Product.objects.filter(sku="W-1").exists()


def test_the_daily_low_stock_check_runs_in_every_active_tenant(worker, scratch_tenant):
    from tenants.services import tenant_suspend

    active, suspended = scratch_tenant(), scratch_tenant()
    for tenant in (active, suspended):
        with schema_context(tenant.schema_name):
            item, main = f.ProductFactory(reorder_level=10), f.WarehouseFactory()
            f.receive(item, main, 2)
    tenant_suspend(slug=suspended.slug)

    fan_out.delay("inventory.check_low_stock").get(timeout=30)

    def raised():
        with schema_context(active.schema_name):
            return LowStockAlert.objects.exists()

    wait_for(raised)
    # The solo worker runs tasks in order: once a task sent now has run, so has every task the
    # fan-out sent.
    with schema_context(active.schema_name):
        assert check_low_stock.delay().get(timeout=30)["raised"] == 0  # deduplicated
    with schema_context(suspended.schema_name):
        assert not LowStockAlert.objects.exists()
