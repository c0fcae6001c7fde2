"""Cross-tenant isolation of the whole tenant API, driven by its OpenAPI schema so that a new
endpoint is covered without anyone remembering to add it here.

Three tenants: ``iso-a`` and ``iso-b`` both hold the demo data of every tenant app (each app's
demo seeder, from its contract: a new app is covered by registering it), ``iso-c`` holds none.
A's id sequences start at 10,000,000 (B's do not), so A's and B's ids never coincide: an id of
A's seen by B is a leak, and an id of A's sent by B names nothing of B's. Every list of the
schema must have rows in A: an endpoint that the demo data leaves empty would pass without
proving anything, so it fails instead. Each tenant also has a verified custom domain (with its
``www.`` alias).

For every GET endpoint of the schema, callers of B and C (session and API key) see no row of A:
C's lists are empty, B's hold B's rows only, details and their sub-resources with A's ids are
404; writes and POST actions (``revoke``, ``acknowledge``, ``replay``…) aimed at A's ids are 404
and change nothing; A's ids inside a body or a filter name nothing of B's. A's API key and
session mean nothing on B's hosts (subdomain, custom domain, ``www.`` alias) nor on the public
host, whose operator API (``/api/operator/v1/``, from its own generated schema) takes operator
sessions only, and has no tenant API.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

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


A_ID_START = 10_000_000
DOMAINS = {"iso-a": "shop.iso-a.example", "iso-b": "shop.iso-b.example"}


def _start_ids_at(schema_name: str, start: int) -> None:
    """Every sequence of the schema hands out ids from ``start`` on."""
    with connection.cursor() as cursor:
        # pg_sequences lists the identity columns' sequences too (information_schema does not).
        cursor.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = %s",
                       [schema_name])
        for (name,) in cursor.fetchall():
            cursor.execute("SELECT setval(%s, %s)",
                           [connection.ops.quote_name(schema_name) + "."
                            + connection.ops.quote_name(name), start])


def _seed_demo(owner) -> None:
    from tenant_apps.core.contract import tenant_app_contracts
    from tenant_apps.core.models import Job, JobStatus

    for contract in tenant_app_contracts():
        seed = contract.seeder()
        if seed is not None:
            seed()
    # A finished export with a file, so the jobs endpoints (detail, download) have rows.
    Job.objects.create(kind="export", status=JobStatus.SUCCEEDED, created_by=owner,
                       output_name="products.csv", output_text="sku,name\nA-ONLY,Secret\n",
                       result={"rows": 1})


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Committed tenants for the module; A and B seeded with every app's demo data."""
    from shared_apps.accounts.models import User
    from tenant_apps.core.services.api_keys import api_key_create
    from tenants.domains import domain_add
    from tenants.models import Domain, DomainStatus, Tenant
    from tenants.provisioning import tenant_provision
    from tenants.services import tenant_delete

    with django_db_blocker.unblock():
        for slug in SLUGS:
            if Tenant.objects.filter(slug=slug).exists():
                tenant_delete(slug=slug, force=True)
        clients: dict[str, dict[str, TenantClient]] = {}
        keys: dict[str, str] = {}
        for slug in SLUGS:
            tenant = tenant_provision(slug=slug, name=slug, owner_email=f"o@{slug}.test",
                                      owner_password="pw-iso-12345").tenant
            if slug in DOMAINS:
                # Registry data, in public (served by /api/v1/domains); verified, so routed.
                domain_add(tenant=tenant, domain=DOMAINS[slug])
                Domain.objects.filter(domain=DOMAINS[slug]).update(
                    status=DomainStatus.VERIFIED)
            with schema_context(tenant.schema_name):
                owner = User.objects.get()
                if slug == "iso-a":
                    _start_ids_at(tenant.schema_name, A_ID_START)
                if slug in ("iso-a", "iso-b"):
                    _seed_demo(owner)
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
            tenant_delete(slug=slug, force=True)


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
    assert {"/api/v1/members/{id}", "/api/v1/invitations/{id}"} <= set(paths)
    assert len(paths) >= 4


def _rows(response) -> list:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return rows if isinstance(rows, list) else []


def _is_as(row: dict) -> bool:
    """A row of A's: its id is one only A hands out, or it names A's custom domain."""
    key = row.get("id")
    return (isinstance(key, int) and key >= A_ID_START) or row.get("domain") == DOMAINS["iso-a"]


@pytest.mark.parametrize("path", _get_paths())
# B (with data) through both kinds of credentials; C (empty) through a session.
@pytest.mark.parametrize("viewer,auth", [("iso-b", "session"), ("iso-b", "api_key"),
                                         ("iso-c", "session")])
def test_no_row_of_another_tenant_is_ever_visible(world, path, auth, viewer):
    a = world["clients"]["iso-a"]
    caller = world["clients"][viewer][auth]
    keys_forbidden = path.startswith("/api/v1/api-keys") and auth == "api_key"
    if "{" not in path:
        # A list or a report: C has no data, so nothing may appear; B has its own rows only.
        response = caller.get(path, {"page_size": 200})
        if keys_forbidden:
            assert response.status_code == 403  # keys never manage keys
            return
        assert response.status_code in (200, 400), (path, response.content[:300])
        if response.status_code == 200 and response["Content-Type"].startswith(
                "application/json"):
            body = response.json()
            if path == "/api/v1/audit-log":
                # The viewer's log has its own entries (its key's creation...); none of A's.
                assert "iso-a" not in str(body) and body["count"] >= 1, (path, body)
            elif viewer == "iso-c" and isinstance(body, dict) and "results" in body:
                # C's own key and C's owner are C's rows.
                own = {"/api/v1/api-keys", "/api/v1/members"}
                assert body["count"] == (1 if path in own else 0), (path, body)
            leaked = [row for row in _rows(response) if isinstance(row, dict) and _is_as(row)]
            assert not leaked, (viewer, path, leaked[:2])
        return

    list_path = _list_path_for(path)
    if list_path is None:
        pytest.skip(f"{path}: no list to take ids from")
    key = ROW_KEYS[_param_of(path)]
    # Only ids A alone hands out (A's owner, made before A's sequences moved, is id 1 like B's).
    a_ids = [i for i in _ids_of(a["session"], list_path, key)
             if not isinstance(i, int) or i >= A_ID_START]
    assert a_ids, f"{list_path}: the demo data has no rows here, so nothing would be proven"
    b_ids = set(_ids_of(world["clients"][viewer]["session"], list_path, key))
    assert not set(a_ids) & b_ids, (list_path, "A's and B's ids must not coincide")
    for a_id in a_ids:
        concrete = _fill(path, a_id)
        response = caller.get(concrete)
        assert response.status_code == (403 if keys_forbidden else 404), (
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


def _post_actions() -> list[str]:
    """POST operations on one row: revoke, acknowledge, rotate-secret, replay, check…"""
    return sorted(path for path, ops in _schema_paths().items()
                  if "post" in ops and DETAIL.match(path) and DETAIL.match(path).group(3))


def test_the_schema_has_post_actions_on_rows():
    actions = _post_actions()
    assert "/api/v1/api-keys/{id}/revoke" in actions
    assert "/api/v1/inventory/low-stock-alerts/{id}/acknowledge" in actions


@pytest.mark.parametrize("path", _post_actions())
def test_post_actions_aimed_at_another_tenants_ids_are_404_and_change_nothing(world, path):
    a = world["clients"]["iso-a"]["session"]
    b = world["clients"]["iso-b"]["session"]
    list_path = _list_path_for(path)
    key = ROW_KEYS[_param_of(path)]
    a_ids = _ids_of(a, list_path, key)[:2]
    assert a_ids, f"{list_path}: no row of A's to aim {path} at"
    for a_id in a_ids:
        detail = f"{list_path}/{a_id}"
        before = a.get(detail).content
        response = b.post(_fill(path, a_id), {}, format="json")
        assert response.status_code == 404, (path, a_id, response.status_code,
                                              response.content[:300])
        assert a.get(detail).content == before, (path, a_id)


def _id_filters() -> list[tuple[str, str]]:
    found = []
    for path, ops in sorted(_schema_paths().items()):
        for param in ops.get("get", {}).get("parameters", []):
            if (param["in"] == "query" and param["schema"].get("type") == "integer"
                    and param["name"] not in ("page", "page_size")):
                found.append((path, param["name"]))
    return found


def test_another_tenants_ids_in_a_filter_match_nothing(world):
    """``?product=<an id of A's>`` on B: an empty list (or a 400), never A's rows or B's."""
    a = world["clients"]["iso-a"]["session"]
    b = world["clients"]["iso-b"]["session"]
    filters = _id_filters()
    assert ("/api/v1/inventory/movements", "product") in filters
    a_products = _ids_of(a, "/api/v1/inventory/products")
    for path, name in filters:
        value = a_products[0] if name == "product" else A_ID_START + 1
        response = b.get(path, {name: value})
        assert response.status_code in (200, 400), (path, name, response.content[:300])
        if response.status_code == 200 and "{" not in path:
            assert not _rows(response), (path, name, _rows(response)[:1])


# Request-body fields that name another row, and the list holding A's ids for each.
BODY_REFERENCES = {
    "product": "/api/v1/inventory/products", "warehouse": "/api/v1/inventory/warehouses",
    "from_warehouse": "/api/v1/inventory/warehouses",
    "to_warehouse": "/api/v1/inventory/warehouses",
    "category": "/api/v1/inventory/categories", "employee": "/api/v1/attendance/employees",
    "site": "/api/v1/attendance/sites", "default_site": "/api/v1/attendance/sites",
    "shift": "/api/v1/attendance/shifts", "record": "/api/v1/attendance/records",
    "endpoint": "/api/v1/webhooks/endpoints",
}


def _create_operations() -> list[tuple[str, list[str]]]:
    """POSTs creating a row from a JSON body that names other rows."""
    schema = _schema_generator_output()
    found = []
    for path, ops in sorted(schema["paths"].items()):
        body = ops.get("post", {}).get("requestBody", {}).get("content", {}).get(
            "application/json", {}).get("schema", {})
        if "{" in path or "$ref" not in body:
            continue
        component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        references = [name for name in component.get("properties", {})
                      if name in BODY_REFERENCES]
        if references:
            found.append((path, references))
    return found


def _schema_generator_output() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _body_from(row: dict, component_fields: set[str]) -> dict:
    body = {}
    for name, value in row.items():
        if name not in component_fields or value is None:
            continue
        body[name] = value["id"] if isinstance(value, dict) and "id" in value else value
    return body


@pytest.mark.parametrize("path,references", _create_operations())
def test_another_tenants_ids_inside_a_body_are_refused(world, path, references):
    """A movement POSTed on B naming A's product (by id) is refused with a field error: it names
    nothing of B's, and nothing is written to either tenant."""
    a = world["clients"]["iso-a"]["session"]
    b = world["clients"]["iso-b"]["session"]
    schema = _schema_generator_output()
    ref = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    fields = set(schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]["properties"])
    b_rows = _rows(b.get(path, {"page_size": 5}))
    template = _body_from(b_rows[0], fields) if b_rows else {}
    for name in references:
        a_id = _ids_of(a, BODY_REFERENCES[name])[0]
        before_a = a.get(path).json().get("count")
        before_b = b.get(path).json().get("count")
        response = b.post(path, {**template, name: a_id}, format="json")
        assert response.status_code in (400, 404), (path, name, response.status_code,
                                                     response.content[:300])
        if response.status_code == 400:
            fields_named = response.json()["error"]["fields"]
            assert any(f == name or f.startswith(f"{name}.") for f in fields_named) or (
                name not in template and fields_named), (path, name, fields_named)
        assert a.get(path).json().get("count") == before_a
        assert b.get(path).json().get("count") == before_b


def test_custom_domains_and_their_www_alias_keep_tenants_apart(world):
    """A's key and session work on A's custom domain and its ``www.`` alias, as on A's
    subdomain; on B's custom domain (and alias) they are nobody."""
    raw = world["keys"]["iso-a"]
    cookie = world["clients"]["iso-a"]["session"].cookies["sessionid"].value
    path = "/api/v1/inventory/products"
    for host in (DOMAINS["iso-a"], f"www.{DOMAINS['iso-a']}"):
        own = APIClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {raw}").get(path)
        assert own.status_code == 200, (host, own.content[:200])
        assert own.json()["results"] and all(_is_as(r) for r in own.json()["results"])
    for host in (DOMAINS["iso-b"], f"www.{DOMAINS['iso-b']}"):
        keyed = APIClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {raw}").get(path)
        assert keyed.status_code == 401, host
        intruder = APIClient(HTTP_HOST=host)
        intruder.cookies["sessionid"] = cookie
        assert intruder.get(path).status_code == 401, host
        b_key = world["keys"]["iso-b"]
        rows = APIClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {b_key}").get(
            path).json()["results"]
        assert rows and not any(_is_as(r) for r in rows), host


# -- the public host and the operator API ----------------------------------------------------
def _operator_operations() -> list[tuple[str, str]]:
    """(method, path) of every operator API operation, from the public host's own generated
    schema, with its parameters filled (a console helper adds endpoints later: they are
    covered without being listed here)."""
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator(urlconf="saas_platform.urls_public").get_schema(
        request=None, public=True)["paths"]
    operations = []
    for path, ops in sorted(paths.items()):
        if not path.startswith("/api/operator/"):
            continue
        concrete = re.sub(r"\{slug\}", "iso-a", path)
        concrete = re.sub(r"\{domain\}", DOMAINS["iso-a"], concrete)
        concrete = re.sub(r"\{[a-z_]+\}", "1", concrete)
        operations += [(method, concrete) for method in ops
                       if method in ("get", "post", "put", "patch", "delete")]
    return operations


def test_the_operator_schema_has_the_operator_endpoints():
    operations = _operator_operations()
    assert ("get", "/api/operator/v1/tenants") in operations
    assert ("post", "/api/operator/v1/tenants/iso-a/suspend") in operations


def test_tenant_credentials_mean_nothing_to_the_operator_api(world):
    """A tenant owner's key and session (even with the console's CSRF header) are 401 on every
    operator operation, and nothing happens to any tenant."""
    from tenants.models import Tenant

    raw = world["keys"]["iso-a"]
    cookie = world["clients"]["iso-a"]["session"].cookies["sessionid"].value
    keyed = APIClient(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    cookied = APIClient(HTTP_HOST="localhost")
    cookied.cookies["sessionid"] = cookie
    for method, path in _operator_operations():
        for client in (keyed, cookied):
            response = getattr(client, method)(path, {}, format="json")
            assert response.status_code == 401, (method, path, response.status_code,
                                                  response.content[:200])
            assert response.json()["error"]["code"] in ("authentication_failed",
                                                        "not_authenticated")
    assert set(Tenant.objects.filter(slug__in=SLUGS).values_list("state", flat=True)) == {
        "active"}


def test_the_operator_api_is_not_on_tenant_hosts_and_the_tenant_api_not_on_the_public_one(
        world):
    from shared_apps.accounts.models import User

    operator = User.objects.create_user(email="iso-ops@platform.test", password="ops-pass-123",
                                        is_staff=True, is_superuser=True)
    try:
        console = APIClient(HTTP_HOST="localhost")
        console.force_login(operator)
        assert console.get("/api/operator/v1/tenants").status_code == 200
        # The operator's session is nobody on a tenant's hosts.
        for host in ("iso-a.localhost", DOMAINS["iso-a"]):
            intruder = APIClient(HTTP_HOST=host)
            intruder.cookies["sessionid"] = console.cookies["sessionid"].value
            assert intruder.get("/api/v1/inventory/products").status_code == 401, host
        # No operator API on tenant hosts, whatever the credentials.
        for host, client in (("iso-a.localhost", world["clients"]["iso-a"]["session"]),
                             (DOMAINS["iso-a"], world["clients"]["iso-a"]["api_key"])):
            for method, path in _operator_operations():
                response = getattr(client, method)(path, {}, format="json", HTTP_HOST=host)
                assert response.status_code == 404, (host, method, path)
        # No tenant API on the public host, for an operator or a tenant's key.
        keyed = APIClient(HTTP_HOST="localhost",
                          HTTP_AUTHORIZATION=f"Api-Key {world['keys']['iso-a']}")
        for path in _get_paths():
            if "{" in path:
                continue
            for client in (console, keyed):
                response = client.get(path)
                assert response.status_code == 404, (path, response.status_code)
                assert response["Content-Type"].startswith("application/json")
    finally:
        connection.set_schema_to_public()
        operator.delete()
