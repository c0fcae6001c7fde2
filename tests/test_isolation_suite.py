"""Cross-tenant isolation of the whole tenant API, driven by its OpenAPI schema so that a new
endpoint is covered without anyone remembering to add it here.

Three tenants: ``iso-a`` holds the demo data of every tenant app (each app's demo seeder, from
its contract: a new app is covered by registering it), ``iso-b`` and ``iso-c`` hold none. Every
list of the schema must have rows in A: an endpoint that the demo data leaves empty would pass
without proving anything, so it fails instead.
For every GET endpoint of the schema, callers of B (session and API key) must see no row of A:
lists are empty, details and their sub-resources with A's ids are 404, and writes aimed at A's ids
are 404 and change nothing. A's API key sent to B's host is 401.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tests.conftest import TenantClient

pytestmark = pytest.mark.django_db

SLUGS = ("iso-a", "iso-b", "iso-c")
# Endpoints that are not tenant data.
SKIP = {"/api/v1/schema/", "/api/v1/docs/", "/api/v1/me"}


def _schema_paths() -> dict[str, dict]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


# A detail path's parameter, and the field of the list's rows that fills it (custom domains
# are addressed by name).
ROW_KEYS = {"id": "id", "pk": "id", "domain": "domain"}
DETAIL = re.compile(r"^(.*)/\{(id|pk|domain)\}(/.*)?$")


def _list_path_for(detail_path: str) -> str | None:
    match = DETAIL.match(detail_path)
    return match.group(1) if match else None


def _param_of(detail_path: str) -> str:
    return DETAIL.match(detail_path).group(2)


def _fill(path: str, value) -> str:
    return path.replace("{" + _param_of(path) + "}", str(value))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Committed tenants for the module; A seeded with every app's demo data."""
    from shared_apps.accounts.models import User
    from tenant_apps.core.contract import tenant_app_contracts
    from tenant_apps.core.services.api_keys import api_key_create
    from tenants.models import Tenant
    from tenants.provisioning import tenant_provision
    from tenants.services import tenant_delete

    with django_db_blocker.unblock():
        for slug in SLUGS:
            if Tenant.objects.filter(slug=slug).exists():
                tenant_delete(slug=slug)
        clients: dict[str, dict[str, TenantClient]] = {}
        keys: dict[str, str] = {}
        for slug in SLUGS:
            tenant = tenant_provision(slug=slug, name=slug, owner_email=f"o@{slug}.test",
                                      owner_password="pw-iso-12345").tenant
            with schema_context(tenant.schema_name):
                owner = User.objects.get()
                if slug == "iso-a":
                    for contract in tenant_app_contracts():
                        seed = contract.seeder()
                        if seed is not None:
                            seed()
                    # A finished export with a file, so the jobs endpoints (detail, download)
                    # have a row of A's to refuse to B.
                    from tenant_apps.core.models import Job, JobStatus

                    Job.objects.create(kind="export", status=JobStatus.SUCCEEDED,
                                       created_by=owner, output_name="products.csv",
                                       output_text="sku,name\nA-ONLY,Secret\n",
                                       result={"rows": 1})
                    # A custom domain (registry data, in public), for /api/v1/domains.
                    from tenants.domains import domain_add

                    with schema_context("public"):
                        domain_add(tenant=tenant, domain="shop.iso-a.example")
                raw = api_key_create(name="iso", scope="read_write", created_by=owner).raw_key
                keys[slug] = raw
                session = TenantClient(slug)
                session.force_login(owner)
            connection.set_schema_to_public()
            clients[slug] = {
                "session": session,
                "api_key": TenantClient(slug, HTTP_AUTHORIZATION=f"Api-Key {raw}"),
            }
        yield {"clients": clients, "keys": keys}
        connection.set_schema_to_public()
        for slug in SLUGS:
            tenant_delete(slug=slug)


def _get_paths() -> list[str]:
    paths = _schema_paths()
    return sorted(p for p, ops in paths.items() if "get" in ops and p not in SKIP)


def _ids_of(client: TenantClient, list_path: str, key: str = "id") -> list:
    response = client.get(list_path, {"page_size": 5})
    assert response.status_code == 200, (list_path, response.content[:300])
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return [row[key] for row in rows if isinstance(row, dict) and key in row]


def test_the_schema_lists_the_tenant_apps_endpoints():
    paths = _get_paths()
    assert "/api/v1/api-keys" in paths and "/api/v1/jobs/{id}" in paths
    assert len(paths) >= 4


@pytest.mark.parametrize("path", _get_paths())
@pytest.mark.parametrize("auth", ["session", "api_key"])
def test_no_row_of_another_tenant_is_ever_visible(world, path, auth):
    a, b = world["clients"]["iso-a"], world["clients"]["iso-b"]
    caller = b[auth]
    if "{" not in path:
        # A list or a report: B has no data, so nothing of A's may appear.
        response = caller.get(path)
        if path == "/api/v1/api-keys" and auth == "api_key":
            assert response.status_code == 403  # keys never manage keys
            return
        assert response.status_code in (200, 400), (path, response.content[:300])
        if response.status_code == 200 and response["Content-Type"].startswith(
                "application/json"):
            body = response.json()
            if path == "/api/v1/audit-log":
                # B's log has B's own entries (its key's creation...); none may be A's.
                assert "iso-a" not in str(body) and body["count"] >= 1, (path, body)
            elif isinstance(body, dict) and "results" in body:
                own = {"/api/v1/api-keys"}  # B's own key is B's row
                assert body["count"] == (1 if path in own else 0), (path, body)
        return

    list_path = _list_path_for(path)
    if list_path is None:
        pytest.skip(f"{path}: no list to take ids from")
    key = ROW_KEYS[_param_of(path)]
    a_ids = _ids_of(a["session"], list_path, key)
    assert a_ids, f"{list_path}: the demo data has no rows here, so nothing would be proven"
    b_ids = set(_ids_of(b["session"], list_path, key))
    for a_id in a_ids:
        if a_id in b_ids:
            continue  # B has its own row with this id (its own key): not A's data
        concrete = _fill(path, a_id)
        response = caller.get(concrete)
        assert response.status_code == (403 if list_path == "/api/v1/api-keys"
                                         and auth == "api_key" else 404), (
            concrete, response.status_code, response.content[:300])


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_writes_aimed_at_another_tenants_ids_are_404_and_change_nothing(world, method):
    a, b = world["clients"]["iso-a"], world["clients"]["iso-b"]["session"]
    paths = _schema_paths()
    checked = 0
    for path, ops in sorted(paths.items()):
        if method not in ops or not path.endswith(("{id}", "{domain}")):
            continue
        list_path = _list_path_for(path)
        key = ROW_KEYS[_param_of(path)]
        a_ids = _ids_of(a["session"], list_path, key)
        b_ids = set(_ids_of(b, list_path, key))
        for a_id in [i for i in a_ids if i not in b_ids][:2]:
            concrete = _fill(path, a_id)
            before = a["session"].get(concrete).content
            response = getattr(b, method)(concrete, {"name": "hijacked"}, format="json")
            assert response.status_code == 404, (method, concrete, response.content[:300])
            assert a["session"].get(concrete).content == before
            checked += 1
    if checked == 0:
        pytest.skip(f"no {method} endpoint with demo rows")


def test_an_api_key_of_one_tenant_is_401_on_every_other_host(world):
    raw = world["keys"]["iso-a"]
    for slug in ("iso-b", "iso-c"):
        foreign = TenantClient(slug, HTTP_AUTHORIZATION=f"Api-Key {raw}")
        for path in _get_paths():
            if "{" in path:
                continue
            response = foreign.get(path)
            assert response.status_code == 401, (slug, path, response.status_code)


def test_a_session_of_one_tenant_is_anonymous_on_every_other_host(world):
    cookie = world["clients"]["iso-a"]["session"].cookies["sessionid"].value
    for slug in ("iso-b", "iso-c"):
        for path in _get_paths():
            if "{" in path:
                continue
            intruder = TenantClient(slug)
            intruder.cookies["sessionid"] = cookie
            assert intruder.get(path).status_code == 401, (slug, path)


def _json_write_operations() -> list[tuple[str, str]]:
    operations = []
    for path, ops in sorted(_schema_paths().items()):
        for method in ("post", "put", "patch"):
            body = ops.get(method, {}).get("requestBody", {}).get("content", {})
            if "application/json" in body:
                operations.append((method, path))
    return operations


@pytest.mark.parametrize("method,path", _json_write_operations())
def test_every_json_write_refuses_a_field_it_does_not_know(world, method, path):
    """An integrator's typo (``"quantitiy"``) must be a 400 naming it, on every endpoint that
    takes a JSON body: a serializer that silently drops it loses the caller's data."""
    owner = world["clients"]["iso-a"]["session"]
    concrete = path
    if _list_path_for(path) is not None:
        list_path = _list_path_for(path)
        ids = _ids_of(owner, list_path, ROW_KEYS[_param_of(path)])
        assert ids, f"{list_path}: no row to aim the write at"
        concrete = _fill(path, ids[0])
    response = getattr(owner, method)(concrete, {"zz_not_a_field": 1}, format="json")
    assert response.status_code == 400, (method, concrete, response.status_code,
                                          response.content[:300])
    assert "zz_not_a_field" in response.json()["error"]["fields"], response.json()
