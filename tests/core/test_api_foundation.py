"""API keys, the error format, idempotency, rate limits and jobs: the pieces every tenant
endpoint is built on."""

import pytest
from django_tenants.utils import schema_context
from rest_framework.response import Response
from rest_framework.views import APIView

from tenant_apps.core.api.idempotency import idempotent
from tenant_apps.core.models import ApiKey, IdempotencyRecord, Job, JobStatus
from tenant_apps.core.services.jobs import JobFailed, job_run
from tests.conftest import TenantClient

# --- API keys -------------------------------------------------------------------------------


def test_admin_creates_a_key_shown_once_and_stored_hashed(client_for, in_tenant):
    admin = client_for("acme", role="admin")
    response = admin.post("/api/v1/api-keys", {"name": "ERP sync", "scope": "read_write"},
                          format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    raw = body["key"]
    assert raw.startswith(f"sk_{body['prefix']}.") and len(raw) > 40
    with in_tenant("acme"):
        stored = ApiKey.objects.get(pk=body["id"])
        assert raw not in (stored.key_hash, stored.prefix)
    listed = admin.get("/api/v1/api-keys").json()
    assert listed["count"] == 1
    assert "key" not in listed["results"][0]  # never shown again
    assert listed["results"][0]["prefix"] == body["prefix"]


def test_key_authenticates_records_last_use_and_stops_after_revoke(client_for, in_tenant):
    admin = client_for("acme", role="admin")
    created = admin.post("/api/v1/api-keys", {"name": "k", "scope": "read"},
                         format="json").json()
    integrator = TenantClient("acme", HTTP_AUTHORIZATION=f"Api-Key {created['key']}")
    # The creator's identity, with the role the key's scope allows ("read": a viewer).
    assert integrator.get("/api/v1/me").json()["role"] == "viewer"
    with in_tenant("acme"):
        assert ApiKey.objects.get(pk=created["id"]).last_used_at is not None
    revoked = admin.post(f"/api/v1/api-keys/{created['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    response = integrator.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize("header", ["Api-Key sk_nope.nope", "Api-Key ", "Api-Key garbage"])
def test_bad_keys_are_401(db, header):
    response = TenantClient("acme", HTTP_AUTHORIZATION=header).get("/api/v1/me")
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_only_admins_manage_keys(client_for, role):
    client = client_for("acme", role=role)
    assert client.get("/api/v1/api-keys").status_code == 403
    assert client.post("/api/v1/api-keys", {"name": "x"}, format="json").status_code == 403


def test_a_key_cannot_mint_keys_even_with_read_write_scope(api_key_for):
    client, _ = api_key_for("acme", scope="read_write", role="owner")
    response = client.post("/api/v1/api-keys", {"name": "escalate"}, format="json")
    assert response.status_code == 403


def test_keys_of_another_tenant_are_404(client_for, api_key_for):
    _, _ = api_key_for("acme")
    acme_admin = client_for("acme", role="admin")
    key_id = acme_admin.get("/api/v1/api-keys").json()["results"][0]["id"]
    globex_admin = client_for("globex", role="admin")
    assert globex_admin.get(f"/api/v1/api-keys/{key_id}").status_code == 404
    assert globex_admin.post(f"/api/v1/api-keys/{key_id}/revoke").status_code == 404
    assert globex_admin.get("/api/v1/api-keys").json()["count"] == 0


# --- the error format -----------------------------------------------------------------------


def test_malformed_json_is_400_in_the_error_format(client_for):
    admin = client_for("acme", role="admin")
    response = admin.generic("POST", "/api/v1/api-keys", "{not json",
                             content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_field_errors_name_their_fields(client_for):
    admin = client_for("acme", role="admin")
    response = admin.post("/api/v1/api-keys", {"name": "", "scope": "root", "extra": 1},
                          format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"name", "scope", "extra"}  # every problem at once


def test_unknown_fields_are_refused(client_for):
    admin = client_for("acme", role="admin")
    response = admin.post("/api/v1/api-keys", {"name": "ok", "admin": True}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"admin": ["Unknown field."]}


def test_wrong_method_and_media_type_are_4xx(client_for):
    admin = client_for("acme", role="admin")
    assert admin.put("/api/v1/me", {}, format="json").status_code == 405
    response = admin.generic("POST", "/api/v1/api-keys", "name=x",
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_oversize_body_is_refused_not_500(client_for):
    admin = client_for("acme", role="admin")
    blob = '{"name": "' + "x" * (3 * 1024 * 1024) + '"}'
    response = admin.generic("POST", "/api/v1/api-keys", blob, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


# --- idempotency ----------------------------------------------------------------------------


class CreateKeyOnce(APIView):
    """A tiny view that writes a row, to observe what a replay does."""

    @idempotent
    def post(self, request):
        from tenant_apps.core.services.api_keys import api_key_create

        created = api_key_create(name=request.data.get("name", "x"), scope="read",
                                 created_by=request.user)
        return Response({"id": created.api_key.pk}, status=201)


@pytest.fixture
def idempotent_url(settings):
    from django.urls import clear_url_caches, path

    import tenant_apps.core.api.urls as api_urls

    api_urls.urlpatterns.append(path("test-idempotent", CreateKeyOnce.as_view()))
    clear_url_caches()
    yield "/api/v1/test-idempotent"
    api_urls.urlpatterns.pop()
    clear_url_caches()


def test_a_retried_post_returns_the_first_response_and_writes_once(client_for, in_tenant,
                                                                    idempotent_url):
    client = client_for("acme", role="admin")
    first = client.post(idempotent_url, {"name": "a"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="retry-1")
    again = client.post(idempotent_url, {"name": "a"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    with in_tenant("acme"):
        assert ApiKey.objects.count() == 1
    other = client.post(idempotent_url, {"name": "a"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="retry-2")
    assert other.json()["id"] != first.json()["id"]


def test_reusing_a_key_with_another_body_is_422(client_for, idempotent_url, in_tenant):
    client = client_for("acme", role="admin")
    client.post(idempotent_url, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = client.post(idempotent_url, {"name": "b"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    with in_tenant("acme"):
        assert ApiKey.objects.count() == 1


def test_idempotency_keys_are_per_caller(client_for, idempotent_url, in_tenant):
    one, two = client_for("acme", role="admin"), client_for("acme", role="admin")
    a = one.post(idempotent_url, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    b = two.post(idempotent_url, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert a.json()["id"] != b.json()["id"]
    with in_tenant("acme"):
        assert IdempotencyRecord.objects.count() == 2


# --- rate limits ----------------------------------------------------------------------------


def test_api_key_rate_limit_answers_429_with_retry_after(api_key_for, monkeypatch):
    from tenant_apps.core.api.throttling import ApiKeyRateThrottle

    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "3/hour"})
    client, _ = api_key_for("acme", scope="read")
    codes = [client.get("/api/v1/me").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/me")
    assert response.json()["error"]["code"] == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= 3600
    # Another key of the same tenant has its own budget.
    other, _ = api_key_for("acme", scope="read")
    assert other.get("/api/v1/me").status_code == 200


def test_tenant_rate_limit_is_per_tenant(client_for, monkeypatch):
    from tenant_apps.core.api.throttling import TenantRateThrottle

    # A window of its own (per hour), so requests of earlier tests in this run do not count.
    monkeypatch.setattr(TenantRateThrottle, "THROTTLE_RATES", {"tenant": "2/hour"})
    acme, globex = client_for("acme", role="viewer"), client_for("globex", role="viewer")
    assert [acme.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]
    assert globex.get("/api/v1/me").status_code == 200


# --- jobs -----------------------------------------------------------------------------------


def test_job_run_records_progress_result_and_failure(db, in_tenant):
    with in_tenant("acme"):
        job = Job.objects.create(kind="test")
        seen = []

        def handler(job, progress):
            progress(5, 10)
            seen.append(Job.objects.get(pk=job.pk).percent)
            job.output_text, job.output_name = "a,b\n1,2\n", "out.csv"
            return {"rows": 2}

        done = job_run(job_id=job.pk, handler=handler)
        assert seen == [50]
        assert (done.status, done.result, done.percent) == (JobStatus.SUCCEEDED, {"rows": 2}, 100)
        # A redelivered task does not run a finished job again.
        assert job_run(job_id=job.pk, handler=lambda j, p: 1 / 0).status == JobStatus.SUCCEEDED

        def failing(job, progress):
            raise JobFailed("Row 3: bad SKU")

        failed = job_run(job_id=Job.objects.create(kind="test").pk, handler=failing)
        assert (failed.status, failed.error) == (JobStatus.FAILED, "Row 3: bad SKU")


def test_jobs_api_shows_own_jobs_and_downloads_output(client_for, in_tenant):
    member = client_for("acme", role="member")
    admin = client_for("acme", role="admin")
    with in_tenant("acme"):
        mine = Job.objects.create(kind="export", created_by=member.user, status="succeeded",
                                  output_text="sku\nA1\n", output_name="products.csv")
        theirs = Job.objects.create(kind="export", created_by=admin.user)
    listed = member.get("/api/v1/jobs").json()
    assert [j["id"] for j in listed["results"]] == [mine.pk]
    assert member.get(f"/api/v1/jobs/{theirs.pk}").status_code == 404
    assert admin.get("/api/v1/jobs").json()["count"] == 2
    download = member.get(f"/api/v1/jobs/{mine.pk}/download")
    assert download.status_code == 200
    assert download.content == b"sku\nA1\n"
    assert 'filename="products.csv"' in download["Content-Disposition"]
    assert admin.get(f"/api/v1/jobs/{theirs.pk}/download").status_code == 404
    globex = client_for("globex", role="owner")
    assert globex.get(f"/api/v1/jobs/{mine.pk}").status_code == 404
    assert globex.get("/api/v1/jobs").json()["count"] == 0


def test_concurrent_requests_never_exceed_the_limit(api_key_for, monkeypatch):
    """The counter is atomic: 12 simultaneous requests against a limit of 5 let exactly 5
    through (a read-modify-write list, as DRF keeps, lets more through)."""
    from concurrent.futures import ThreadPoolExecutor

    from rest_framework.test import APIRequestFactory

    from tenant_apps.core.api.throttling import ApiKeyRateThrottle

    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "5/hour"})
    _, raw = api_key_for("acme", scope="read")
    with schema_context("t_acme"):
        from tenant_apps.core.services.api_keys import api_key_authenticate

        key = api_key_authenticate(raw)
    request = APIRequestFactory().get("/api/v1/me")
    request.auth = key

    def attempt(_):
        with schema_context("t_acme"):
            return ApiKeyRateThrottle().allow_request(request, None)

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(attempt, range(12)))
    assert results.count(True) == 5


def test_rate_limiter_outage_does_not_take_the_api_down(client_for, monkeypatch):
    import redis

    from tenant_apps.core.api import throttling

    monkeypatch.setattr(throttling, "_client", redis.Redis(host="127.0.0.1", port=1,
                                                           socket_connect_timeout=0.2))
    assert client_for("acme", role="viewer").get("/api/v1/me").status_code == 200
