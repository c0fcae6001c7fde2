"""Fleet migration progress in the operator API: counts, rate, ETA and failures of a run, from
its per-tenant rows in public."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from shared_apps.accounts.models import User
from tenants.fleet.models import FleetRun, FleetRunTenant

URL = "/api/operator/v1/fleet/migrations"


@pytest.fixture
def operator(db):
    user = User.objects.create_user(email="ops@platform.test", password="ops-pass-123",
                                    is_staff=True)
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _run(state: str, rows: list[tuple[str, str, str]], started_ago: int) -> FleetRun:
    now = timezone.now()
    run = FleetRun.objects.create(state=state, targets=["inventory.0042_thing_weight"])
    FleetRunTenant.objects.bulk_create([
        FleetRunTenant(run=run, schema_name=schema, state=row_state, method=method,
                       error="lock timeout" if row_state == "failed" else "",
                       attempts=0 if row_state == "pending" else 1,
                       started_at=None if row_state == "pending" else
                       now - timedelta(seconds=started_ago),
                       finished_at=now if row_state in ("done", "failed") else None)
        for schema, row_state, method in rows])
    return run


def test_latest_run_progress_with_rate_eta_and_failures(operator):
    assert operator.get(f"{URL}/latest").status_code == 404  # no run yet: says so
    old = _run("done", [("t_a", "done", "plan")], started_ago=100)
    rows = ([(f"t_{n:02d}", "done", "plan") for n in range(6)]
            + [("t_drift", "done", "django"), ("t_busy", "failed", "plan"),
               ("t_next", "started", "plan")]
            + [(f"t_p{n}", "pending", "plan") for n in range(3)])
    run = _run("running", rows, started_ago=4)

    body = operator.get(f"{URL}/latest").json()
    assert body["run"] == run.pk and body["state"] == "running"
    assert body["tenants"] == {"total": 12, "pending": 3, "started": 1, "done": 7, "failed": 1}
    assert body["methods"] == {"plan": 11, "django": 1}
    assert body["percent"] == pytest.approx(66.7)
    # 8 finished in ~4 s: ~2 a second, 4 to go: ~2 s.
    assert 1.5 < body["rate_per_s"] <= 2.1 and 1.5 < body["eta_s"] < 3
    assert body["failed"] == [{"schema_name": "t_busy", "method": "plan", "error": "lock timeout",
                               "attempts": 1, "finished_at": body["failed"][0]["finished_at"]}]
    assert body["migrations"] == ["inventory.0042_thing_weight"]

    earlier = operator.get(f"{URL}/{old.pk}").json()
    assert earlier["state"] == "done" and earlier["eta_s"] == 0.0
    assert earlier["tenants"]["done"] == 1
    missing = operator.get(f"{URL}/999999")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "fleet_run_not_found"


def test_only_operators_see_it(db, client_for):
    assert APIClient(HTTP_HOST="localhost").get(f"{URL}/latest").status_code == 401
    assert client_for("acme", role="owner").get(f"{URL}/latest").status_code == 404
