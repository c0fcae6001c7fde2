"""Each feature emits its events from its services, in the transaction of the change (the outbox
rows exist exactly when the change does)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import jsonschema
import pytest

from tenant_apps.webhooks.catalogue import CATALOGUE, SUBSCRIBABLE
from tenant_apps.webhooks.models import Event
from tenant_apps.webhooks.services import endpoint_create
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db


def _events() -> list[dict]:
    payloads = [json.loads(body) for body in Event.objects.order_by("id")
                .values_list("body", flat=True)]
    for payload in payloads:
        jsonschema.validate(payload, CATALOGUE.get(payload["type"]).schema())
    return payloads


def test_inventory_events(in_tenant):
    from tenant_apps.inventory.services import (
        low_stock_check,
        product_create,
        product_delete,
        product_update,
        stock_movements_record,
    )
    from tenant_apps.inventory.services.stock import MovementInput

    with in_tenant("acme"):
        endpoint_create(url="https://hooks.example.com/in", events=list(SUBSCRIBABLE))
        product = product_create(sku="EV-1", name="Evented", unit="pcs",
                                 reorder_level=Decimal(10))
        product_update(product=product, data={"name": "Renamed"})
        product_update(product=product, data={"name": "Renamed"})  # no change, no event
        warehouse = f.WarehouseFactory(code="EVW")
        stock_movements_record(movements=[
            MovementInput(kind="receipt", product_id=product.pk, quantity=Decimal(3),
                          to_warehouse_id=warehouse.pk) for _ in range(2)])
        low_stock_check()
        spare = product_create(sku="EV-2", name="Spare", unit="pcs")
        spare_id = spare.pk
        product_delete(product=spare)
        events = _events()
    assert [e["type"] for e in events] == [
        "product.created", "product.updated", "stock.movement.recorded",
        "stock.movement.recorded", "stock.low", "product.created", "product.deleted"]
    assert events[4]["data"]["warehouse"] == {"id": warehouse.pk, "code": "EVW"}
    assert events[4]["data"]["quantity"] == "6"
    assert events[6]["data"] == {"id": spare_id, "sku": "EV-2"}


def test_attendance_and_api_key_events(in_tenant, make_user):
    from tenant_apps.attendance.services import (
        attendance_check_in,
        attendance_check_out,
        attendance_record_correct,
    )
    from tenant_apps.core.services.api_keys import api_key_create, api_key_revoke
    from tests.attendance.factories import EmployeeFactory, SiteFactory

    admin = make_user("acme", role="admin")
    with in_tenant("acme"):
        endpoint_create(url="https://hooks.example.com/in", events=list(SUBSCRIBABLE))
        employee = EmployeeFactory(default_site=SiteFactory())
        record = attendance_check_in(employee_id=employee.pk, source="kiosk")
        attendance_check_out(employee_id=employee.pk, source="kiosk")
        attendance_record_correct(record_id=record.pk, reason="forgot " * 200,
                                  changes={"check_in_at": record.check_in_at
                                           - dt.timedelta(minutes=5)}, changed_by=admin)
        key = api_key_create(name="ERP", scope="read", created_by=admin).api_key
        api_key_revoke(key_id=key.pk)
        events = _events()
    assert [e["type"] for e in events] == [
        "attendance.checked_in", "attendance.checked_out", "attendance.corrected",
        "api_key.created", "api_key.revoked"]
    assert events[2]["data"]["fields"] == ["check_in_at"]
    assert len(events[2]["data"]["reason"]) == 500
    assert events[4]["data"]["prefix"] == key.prefix
