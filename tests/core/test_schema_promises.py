"""What the tenant API's OpenAPI schema promises, held to it on a tenant with every app's demo
data: list parameters filter, a PATCH answers the whole row, and every refusal under /api/ is in
the JSON error format.

Every query parameter a list of the tenant API advertises in its OpenAPI schema does what it
says, driven by the schema so that a new list or filter is covered without anyone remembering to
add it here: an advertised parameter that the view ignores answers the unfiltered list, which an
integrator cannot tell from "everything matched" (``GET /api/v1/jobs?search=…`` did that).

On a tenant holding every app's demo data (from the apps' contracts), for each list and each of
its parameters: some value of the parameter's type must change the list (``search`` with text
no row holds must empty it; ``ordering`` must refuse a field it cannot order by), and no value
may get anything but a 200 or a 400."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tests.conftest import TenantClient

pytestmark = pytest.mark.django_db

PAGING = {"page", "page_size"}
NO_MATCH_TEXT = "zq-no-row-holds-this-9f3"


def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _list_operations() -> list[tuple[str, list[dict]]]:
    paths = _schema()["paths"]
    found = []
    for path, ops in sorted(paths.items()):
        if "get" not in ops or "{" in path:
            continue
        params = [p for p in ops["get"].get("parameters", [])
                  if p["in"] == "query" and p["name"] not in PAGING]
        if params:
            found.append((path, params))
    return found


@pytest.fixture
def owner(make_user) -> TenantClient:
    """An owner of acme, with every app's demo data in acme (rolled back after the test)."""
    from tenant_apps.core.contract import tenant_app_contracts
    from tenant_apps.core.models import Job, JobStatus

    user = make_user("acme", role="owner")
    with schema_context("t_acme"):
        for contract in tenant_app_contracts():
            seed = contract.seeder()
            if seed is not None:
                seed()
        Job.objects.create(kind="export", status=JobStatus.SUCCEEDED, created_by=user,
                           message="Exported 12 products", output_name="products.csv",
                           output_text="sku\nA\n", result={"rows": 1})
        Job.objects.create(kind="import", status=JobStatus.FAILED, created_by=user,
                           message="Row 3: unknown warehouse", error="unknown warehouse")
        from tenant_apps.core.services.api_keys import api_key_create

        api_key_create(name="billing sync", scope="read", created_by=user)
        api_key_create(name="warehouse robot", scope="read_write", created_by=user)
    connection.set_schema_to_public()
    from tenants.domains import domain_add
    from tenants.models import Tenant

    acme = Tenant.objects.get(slug="acme")
    domain_add(tenant=acme, domain="shop.acme-filters.example")
    domain_add(tenant=acme, domain="docs.acme-filters.example")
    return TenantClient("acme").login_as(user)


def _candidates(param: dict, rows: list[dict]) -> list[str]:
    schema = param["schema"]
    name = param["name"]
    values: list[str] = []
    if schema.get("enum"):
        values += [str(v) for v in schema["enum"]]
    kind = schema.get("type")
    if kind == "boolean":
        values += ["true", "false"]
    elif kind == "integer":
        values += ["999999999"]
    elif kind == "string":
        values += ["1970-01-01", "2999-01-01", NO_MATCH_TEXT]
    for row in rows[:3]:  # a value some row holds (an id, a name…): filters down to its rows
        value = row.get(name)
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, bool):
            value = str(value).lower()
        if value is not None and not isinstance(value, list):
            values.append(str(value))
    return list(dict.fromkeys(values))


def _count(owner: TenantClient, path: str, query: dict) -> tuple[int, int | None]:
    response = owner.get(path, {**query, "page_size": 1})
    assert response.status_code in (200, 400), (path, query, response.status_code,
                                                response.content[:300])
    if response.status_code == 400:
        return 400, None
    body = response.json()
    return 200, body["count"] if isinstance(body, dict) and "count" in body else len(
        body.get("rows", body) if isinstance(body, dict) else body)


def test_the_schema_has_lists_with_filters():
    names = {path for path, _ in _list_operations()}
    assert {"/api/v1/jobs", "/api/v1/inventory/products", "/api/v1/attendance/records"} <= names


def test_every_advertised_list_parameter_filters(owner):
    problems = []
    for path, params in _list_operations():
        if any(param.get("required") for param in params):
            continue  # a report (the timesheet): its parameters are inputs, not filters
        response = owner.get(path, {"page_size": 20})
        assert response.status_code == 200, (path, response.content[:300])
        body = response.json()
        if not (isinstance(body, dict) and "results" in body):
            continue
        rows, total = body["results"], body["count"]
        assert total >= 1, f"{path}: the demo data has no rows here, nothing is proven"
        for param in params:
            name = param["name"]
            if name == "ordering":
                status, _ = _count(owner, path, {"ordering": "zz_not_a_field"})
                if status != 400:
                    problems.append(f"{path}?ordering=zz_not_a_field is not refused")
                continue
            if name == "search":
                status, count = _count(owner, path, {"search": NO_MATCH_TEXT})
                if status == 200 and count != 0:
                    problems.append(f"{path}?search= is advertised but ignored ({count} rows)")
                continue
            outcomes = {}
            for value in _candidates(param, rows):
                outcomes[value] = _count(owner, path, {name: value})
                if outcomes[value][0] == 200 and outcomes[value][1] != total:
                    break  # it filters
            else:
                problems.append(f"{path}?{name}= changes nothing: {outcomes} (of {total})")
    assert not problems, "\n".join(problems)


def _required_fields(schema: dict, operation: dict) -> set[str]:
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[-1]
    return set(schema["components"]["schemas"][name].get("required", []))


def test_a_patch_answers_the_whole_row_even_when_its_relations_are_empty(owner):
    """``PATCH /api/v1/attendance/employees/{id}`` on an employee without a user or a default
    site left out ``user_email`` and ``default_site_name`` (DRF skips a missing source's default
    in a partial serializer), which the schema marks required."""
    bare = [("/api/v1/attendance/employees", {"code": "BARE-1", "name": "No user, no site"}),
            ("/api/v1/inventory/products", {"sku": "BARE-1", "name": "No category"})]
    for path, body in bare:
        created = owner.post(path, body, format="json")
        assert created.status_code == 201, (path, created.content[:300])
    schema = _schema()
    checked = 0
    for path, ops in sorted(schema["paths"].items()):
        if "patch" not in ops or _DETAIL.match(path) is None:
            continue
        required = _required_fields(schema, ops["patch"])
        list_path = _DETAIL.match(path).group(1)
        rows = owner.get(list_path, {"page_size": 200}).json()["results"]
        assert rows, f"{list_path}: no row to patch"
        # The rows with the most empty fields first (the bare ones above among them).
        rows.sort(key=lambda row: -sum(value is None for value in row.values()))
        key = _DETAIL.match(path).group(2)
        for row in rows[:2]:
            concrete = path.replace("{" + key + "}", str(row[{"pk": "id"}.get(key, key)]))
            response = owner.patch(concrete, {}, format="json")
            if response.status_code == 400:
                break  # this PATCH needs a field (a correction's reason): not a bare update
            assert response.status_code == 200, (concrete, response.content[:300])
            missing = required - set(response.json())
            assert not missing, (concrete, missing)
            assert set(response.json()) == set(owner.get(concrete).json()), concrete
            checked += 1
    assert checked >= 4


_DETAIL = re.compile(r"^(.*)/\{(id|pk|domain)\}$")

REFUSALS = [
    ("get", "/api/v1/jobs/1.5"),  # no route matches (the id pattern takes no dot)
    ("get", "/api/v1/attendance/employees/99999/"),  # a trailing slash
    ("get", "/api/v1/no-such-resource"),
    ("post", "/api/v1/jobs"),  # 405: jobs are read-only
    ("post", "/api/v1/docs/"),  # the docs page is not DRF's JSON view
    ("post", "/api/v1/schema/"),
    ("delete", "/api/v1/me"),
    ("get", "/api/operator/v1/no-such-resource"),
    ("put", "/api/operator/v1/tenants"),
]


@pytest.mark.parametrize("debug", [False, True], ids=["production", "make-run"])
def test_every_refusal_under_api_is_the_json_error_format_on_every_host(owner, settings,
                                                                        debug):
    """Tenant host, custom domain, public host; with DEBUG off and on (``make run``, where
    Django's own HTML debug page answered an unmatched /api/ URL)."""
    from tenants.models import Domain, DomainStatus

    settings.DEBUG = debug
    Domain.objects.filter(domain="shop.acme-filters.example").update(
        status=DomainStatus.VERIFIED)
    hosts = ["acme.localhost", "shop.acme-filters.example", "www.shop.acme-filters.example",
             "localhost"]
    for host in hosts:
        for method, path in REFUSALS:
            response = getattr(owner, method)(path, HTTP_HOST=host)
            assert 400 <= response.status_code < 500, (host, method, path, response.status_code)
            assert response["Content-Type"].startswith("application/json"), (
                host, method, path, response.status_code, response["Content-Type"])
            error = response.json()["error"]
            assert set(error) == {"code", "message", "fields"}, error
            if response.status_code == 405:
                assert error["code"] == "method_not_allowed" and response["Allow"]
            if response.status_code == 404:
                assert error["code"] in ("not_found", "tenant_not_found"), error
