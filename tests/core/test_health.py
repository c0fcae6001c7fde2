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
