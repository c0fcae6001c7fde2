import pytest


@pytest.mark.parametrize("host", ["localhost", "acme.localhost"])
def test_healthz_is_200_on_every_host(client, db, host):
    response = client.get("/healthz", HTTP_HOST=host)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_redis_and_migrations(client, db):
    response = client.get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "failing": [],
                               "checks": {"database": "ok", "redis": "ok", "migrations": "ok"}}


def test_readyz_is_503_naming_the_failing_check_when_redis_is_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"].startswith("redis unreachable")
    assert body["checks"]["database"] == "ok"
    assert body["failing"] == ["redis"]


def test_readyz_reports_unapplied_migrations(client, db, monkeypatch):
    from tenants import migration_state

    real = migration_state._expected()
    with_two_new = {**real, "public": real["public"] | {("accounts", "9998_new"),
                                                        ("tenants", "9999_new")}}
    monkeypatch.setattr(migration_state, "_expected", lambda: with_two_new)
    response = client.get("/readyz", HTTP_HOST="localhost")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "2 unapplied migration(s)"


# Kubernetes probes send the pod's IP as Host; load-balancer checks their own idea of a host.
@pytest.mark.parametrize("host", ["10.1.2.3", "10.1.2.3:8000", "[fd00::1]:8000",
                                  "unknown.example.net"])
def test_probes_answer_on_any_host(client, db, host):
    assert client.get("/healthz", HTTP_HOST=host).json() == {"status": "ok"}
    ready = client.get("/readyz", HTTP_HOST=host)
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    assert client.head("/healthz", HTTP_HOST=host).status_code == 200


def test_readyz_on_a_pod_ip_names_the_failing_dependency(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("redis unreachable")


@pytest.mark.parametrize("path", ["/", "/api/v1/me", "/console/", "/healthz/", "/healthzz",
                                  "/static/x.css"])
@pytest.mark.parametrize("host", ["10.1.2.3", "unknown.example.net"])
def test_other_paths_on_an_unknown_host_stay_404(client, db, host, path):
    response = client.get(path, HTTP_HOST=host, HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "tenant_not_found"


def test_probe_paths_take_only_get_and_head_before_routing(client, db):
    # A POST to /healthz on an unknown host is routed like any other request: 404.
    assert client.post("/healthz", HTTP_HOST="10.1.2.3").status_code == 404
