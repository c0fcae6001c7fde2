"""The operator API authenticates with the operator's console session only: an
``Authorization`` header (a tenant's API key above all) is a 401 in the error format on every
operator route, never a 500 from looking the key up in ``public``."""

import pytest
from django.urls import get_resolver
from rest_framework.test import APIClient

from shared_apps.accounts.models import User

BASE = "/api/operator/v1"


def _operator_paths() -> list[str]:
    """Every operator route, its parameters filled with harmless values."""
    from django.urls import URLPattern

    resolver = get_resolver("tenants.api_urls")
    paths = []
    for pattern in resolver.url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        for param in ("<slug:slug>", "<str:domain>", "<str:job_id>", "<int:pk>", "<str:pk>",
                      "<int:run_id>", "<str:feature>"):
            route = route.replace(param, {"<slug:slug>": "acme", "<str:domain>": "x.example",
                                          "<str:job_id>": "j1"}.get(param, "1"))
        paths.append(f"{BASE}/{route}")
    return paths


def test_the_operator_routes_are_found():
    assert f"{BASE}/tenants" in _operator_paths()


@pytest.mark.parametrize("header", [
    "Api-Key sk_abcdef12.0123456789abcdef",  # the shape of a real key: would be looked up
    "Api-Key nonsense",
    "Bearer some-token",
])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_any_authorization_header_is_a_401_in_the_error_format(db, header, method):
    client = APIClient(HTTP_HOST="localhost", HTTP_AUTHORIZATION=header)
    for path in _operator_paths():
        response = getattr(client, method)(path)
        assert response.status_code == 401, (method, path, response.status_code,
                                              response.content[:200])
        body = response.json()
        assert response["WWW-Authenticate"]
        if path.endswith(("/schema/", "/docs/")):
            continue  # the schema's own renderers (YAML): the 401 comes in the generic format
        assert body["error"]["code"] == "authentication_failed", body
        assert "operator API" in body["error"]["message"]


def test_a_tenant_owners_real_key_is_a_401_on_the_public_host(db, api_key_for):
    _client, raw = api_key_for("acme", role="owner")
    response = APIClient(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Api-Key {raw}").get(
        f"{BASE}/tenants")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_signed_in_operator_sending_a_key_as_well_is_refused_too(db):
    """A key is never a second way in: the header alone decides the 401."""
    operator = User.objects.create_user(email="ops-k@platform.test", password="ops-pass-123",
                                        is_staff=True)
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(operator)
    assert client.get(f"{BASE}/tenants").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Api-Key sk_abcdef12.0123456789abcdef")
    assert client.get(f"{BASE}/tenants").status_code == 401


def test_anonymous_callers_get_a_401_with_a_challenge(db):
    response = APIClient(HTTP_HOST="localhost").get(f"{BASE}/tenants")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Session")
