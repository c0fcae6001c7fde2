"""Item 6 of the fault issue: bad input stays a 4xx. Every parser the API has (JSON bodies,
multipart forms, query strings, CSV files) refuses what it cannot take with a 4xx in the one
error format, never a 500 (a RecursionError, a NUL byte reaching PostgreSQL, ...)."""

from __future__ import annotations

import io
import json

import pytest

from tenant_apps.core.api.parsers import MAX_JSON_DEPTH, json_depth

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client_for):
    client = client_for("acme", role="admin")
    client.raise_request_exception = False  # a 500 must show as a 500 here, not as an exception
    return client


def _post_json(client, path: str, raw: str | bytes):
    return client.post(path, raw, content_type="application/json")


def _error(response) -> dict:
    return response.json()["error"]


def _nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_deeply_nested_json_in_a_field_is_a_400_saying_so(admin, depth):
    body = '{"kind": "receipt", "note": ' + _nested(depth) + "}"
    response = _post_json(admin, "/api/v1/inventory/movements", body)
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_request"
    assert f"at most {MAX_JSON_DEPTH} levels" in _error(response)["message"]


def test_deeply_nested_objects_in_a_bulk_request_are_a_400(admin):
    item = '{"a": ' * 2_000 + "1" + "}" * 2_000
    response = _post_json(admin, "/api/v1/inventory/movements/bulk",
                          '{"movements": [' + item + "]}")
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_request"


def test_ordinary_nesting_is_parsed_as_before(admin):
    response = _post_json(admin, "/api/v1/inventory/movements",
                          json.dumps({"kind": "receipt", "note": {"a": [[{"b": 1}]]}}))
    # Validated by the serializer (a note is text), not refused by the parser.
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid"


def test_brackets_inside_strings_do_not_count_as_depth():
    assert json_depth(json.dumps({"note": "[" * 500 + '"{'})) == 1
    assert json_depth(_nested(40)) == 40
    assert json_depth('"just a string"') == 0


@pytest.mark.parametrize(("raw", "words"), [
    ('{"kind": "receipt", "note": "a\\u0000b"}', "NUL"),
    ('{"kind": "receipt", "quantity": NaN}', "NaN"),
    ('{"kind": "receipt", "note": "\xff"}'.encode("latin-1"), "utf-8"),
    ('{"kind": ', "parse error"),
])
def test_json_that_postgresql_or_json_itself_refuses_is_a_400(admin, raw, words):
    response = _post_json(admin, "/api/v1/inventory/movements", raw)
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_request"
    assert words.lower() in _error(response)["message"].lower()


def test_a_json_body_over_the_limit_is_a_413(admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = _post_json(admin, "/api/v1/inventory/movements",
                          json.dumps({"kind": "receipt", "note": "x" * 20_000}))
    assert response.status_code == 413
    assert _error(response)["code"] == "request_too_large"


@pytest.mark.parametrize(("query", "status"), [
    ("page=99999999999999999999999999", 404),
    ("page=-1", 400),
    ("page_size=100000000000000000000", 400),
    ("search=" + "bolt " * 5_000, 400),
    ("search=" + "x" * 10_000, 400),
    ("search=a%00b", 400),
    ("search=a&search=b&search=c", 200),
    ("ordering=sku%00", 400),
    ("category=%00", 400),
    ("active=maybe&active=true", 200),  # repeated: the last one counts, as Django reads it
])
def test_hostile_query_strings_are_4xx(admin, query, status):
    response = admin.get(f"/api/v1/inventory/products?{query}")
    assert response.status_code == status, response.content[:500]
    if status >= 400:
        assert "error" in response.json()


def test_a_multipart_form_with_too_many_files_is_a_400(admin):
    files = {f"file{i}": io.BytesIO(b"sku,name\nA,B\n") for i in range(50)}
    for i, file in enumerate(files.values()):
        file.name = f"f{i}.csv"
    response = admin.post("/api/v1/inventory/imports", {"kind": "products", **files},
                          format="multipart")
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_request"


def test_a_multipart_form_with_too_many_fields_is_a_400(admin, settings):
    fields = {f"f{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10)}
    response = admin.post("/api/v1/inventory/imports", {"kind": "products", **fields},
                          format="multipart")
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_request"


@pytest.mark.parametrize(("raw", "code"), [
    ("sku,name\nA,B\n".encode("utf-16"), "invalid_encoding"),
    (b"sku,name\nA,\xc3\x28\n", "invalid_encoding"),
    (b"sku,name\n" + b"A," + b"x" * 200_000 + b"\n", "invalid_file"),
])
def test_csv_files_with_bad_encodings_or_huge_fields_are_400s(admin, raw, code):
    file = io.BytesIO(raw)
    file.name = "catalog.csv"
    response = admin.post("/api/v1/inventory/imports", {"kind": "products", "file": file},
                          format="multipart")
    assert response.status_code == 400
    assert _error(response)["code"] == code
