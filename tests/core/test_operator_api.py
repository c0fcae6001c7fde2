"""The operator API on the public host."""

import time

import pytest
from rest_framework.test import APIClient

from shared_apps.accounts.models import User
from tenants.models import Tenant
from tenants.services import tenant_delete

BASE = "/api/operator/v1"


@pytest.fixture
def operator(db):
    user = User.objects.create_user(email="ops@platform.test", password="ops-pass-123",
                                    is_staff=True)
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def test_anonymous_and_non_staff_are_refused(db):
    anonymous = APIClient(HTTP_HOST="localhost")
    assert anonymous.get(f"{BASE}/tenants").status_code == 401
    user = User.objects.create_user(email="nobody@platform.test", password="x-pass-12345")
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    assert client.get(f"{BASE}/tenants").status_code == 403


def test_operator_api_does_not_exist_on_tenant_hosts(client_for):
    assert client_for("acme", role="owner").get(f"{BASE}/tenants").status_code == 404


def test_list_and_detail(operator):
    listed = operator.get(f"{BASE}/tenants").json()
    assert {"acme", "globex", "initech"} <= {t["slug"] for t in listed["results"]}
    acme = operator.get(f"{BASE}/tenants/acme").json()
    assert acme["state"] == "active" and acme["domains"] == ["acme.localhost"]
    assert operator.get(f"{BASE}/tenants/ghost").status_code == 404


def test_suspend_and_activate(operator):
    assert operator.post(f"{BASE}/tenants/globex/suspend").json()["state"] == "suspended"
    assert operator.post(f"{BASE}/tenants/globex/activate").json()["state"] == "active"
    response = operator.post(f"{BASE}/tenants/ghost/suspend")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "tenant_not_found"


@pytest.mark.parametrize("payload,field", [
    ({"slug": "www", "name": "W", "owner_email": "o@w.example"}, "slug"),
    ({"slug": "acme", "name": "A", "owner_email": "o@a.example"}, "slug"),
    ({"slug": "fine", "name": "F", "owner_email": "nope"}, "owner_email"),
    ({"slug": "fine", "name": "F", "owner_email": "o@f.example", "plan": "gold"}, "plan"),
    ({"slug": "fine", "name": "F", "owner_email": "o@f.example", "domains": ["x"]}, "domains"),
])
def test_bad_provisioning_requests_are_4xx_at_once_and_start_nothing(operator, payload, field):
    response = operator.post(f"{BASE}/tenants", payload, format="json")
    assert response.status_code in (400, 409)
    assert field in response.json()["error"]["fields"]
    assert not Tenant.objects.filter(slug="fine").exists()


def test_provisioning_runs_as_a_job_with_status(celery_worker):
    user = User.objects.create_user(email="ops2@platform.test", password="ops-pass-123",
                                    is_staff=True)
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    try:
        response = client.post(f"{BASE}/tenants", {"slug": "via-api", "name": "Via API",
                                                   "owner_email": "o@api.example"},
                               format="json")
        assert response.status_code == 202, response.content
        job_url = response["Location"]
        deadline = time.monotonic() + 60
        status = client.get(job_url).json()
        while status["state"] not in ("SUCCESS", "FAILURE") and time.monotonic() < deadline:
            time.sleep(0.2)
            status = client.get(job_url).json()
        assert status["state"] == "SUCCESS", status
        assert status["result"]["state"] == "active"
        assert status["kind"] == "provision" and status["slug"] == "via-api"
        assert "/invitations/" in status["result"]["owner_invitation_url"]
        assert client.get(f"{BASE}/tenants/via-api").json()["state"] == "active"
        # The worker's audit entry names the operator who queued the job.
        from shared_apps.audit.models import PlatformAuditEntry

        # (The newest: the audit log is append-only, so runs' entries accumulate.)
        created = PlatformAuditEntry.objects.filter(action="tenant.create",
                                                    target="via-api").first()
        assert created.actor == "ops2@platform.test" and created.actor_id == user.pk
    finally:
        if Tenant.objects.filter(slug="via-api").exists():
            tenant_delete(slug="via-api", force=True)
        User.objects.filter(email="ops2@platform.test").delete()


def _wait_for_job(client, url: str) -> dict:
    deadline = time.monotonic() + 60
    status = client.get(url).json()
    while status["state"] not in ("SUCCESS", "FAILURE") and time.monotonic() < deadline:
        time.sleep(0.2)
        status = client.get(url).json()
    return status


def test_archive_and_restore_run_as_jobs(celery_worker, scratch_tenant, settings, tmp_path):
    settings.TENANT_ARCHIVE_DIR = tmp_path
    tenant = scratch_tenant()
    user = User.objects.create_user(email="ops3@platform.test", password="ops-pass-123",
                                    is_staff=True)
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    try:
        response = client.post(f"{BASE}/tenants/{tenant.slug}/archive")
        assert response.status_code == 202, response.content
        status = _wait_for_job(client, response["Location"])
        assert status["state"] == "SUCCESS", status
        archived = client.get(f"{BASE}/tenants/{tenant.slug}").json()
        assert archived["state"] == "archived"
        assert (tmp_path / archived["archive_file"]).is_file()
        assert status["result"]["archive"] == archived["archive_file"]
        # A second archive is refused at once, not as a failed job.
        again = client.post(f"{BASE}/tenants/{tenant.slug}/archive")
        assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"

        response = client.post(f"{BASE}/tenants/{tenant.slug}/restore")
        assert response.status_code == 202, response.content
        status = _wait_for_job(client, response["Location"])
        assert status["state"] == "SUCCESS", status
        assert client.get(f"{BASE}/tenants/{tenant.slug}").json()["state"] == "suspended"
        assert client.post(f"{BASE}/tenants/{tenant.slug}/restore").status_code == 409
        assert client.post(f"{BASE}/tenants/ghost/archive").status_code == 404
    finally:
        User.objects.filter(email="ops3@platform.test").delete()


def test_restore_of_a_tenant_whose_archive_file_is_gone_is_a_clear_404(operator, settings,
                                                                       tmp_path):
    from tenants.archive.services import tenant_archive

    settings.TENANT_ARCHIVE_DIR = tmp_path
    info = tenant_archive(slug="initech")
    info.path.unlink()
    response = operator.post(f"{BASE}/tenants/initech/restore")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "archive_missing"
