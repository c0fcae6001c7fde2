"""Property-based API testing with Schemathesis against the OpenAPI schema: generated requests,
valid and invalid, to every operation of the tenant API must never get a 5xx, and every response
must match the schema (status codes, content types, bodies).

Runs in-process through Django's WSGI handler, on acme's host with an admin-scoped API key, each
operation inside a rolled-back test transaction. SCHEMATHESIS_EXAMPLES sets examples per
operation (default 25).

One check is off: ``positive_data_acceptance`` expects every schema-valid request to succeed,
but business rules a schema cannot express (a check-out with no open record, an issue larger than
the stock, "to" before "from") are rightly answered with a 4xx in the error format. Everything
else runs: no 5xx, documented status codes and content types, bodies matching the schema,
invalid data rejected, authentication not ignored.
"""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance


def _load_schema():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    # Through the schema endpoint's own renderer: what integrators download (numbers, not
    # Decimals).
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(generated)))
    loaded.app = WSGIHandler()
    return loaded


schema = _load_schema()
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
CASES_RUN = {"count": 0}


@pytest.fixture
def owner_key(db, make_user):
    from tenant_apps.core.services.api_keys import api_key_create

    # Django closes "old" connections around each request, which inside a test transaction
    # would close the transaction itself; its own test client switches this off the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    owner = make_user("acme", role="owner")
    with schema_context("t_acme"):
        raw = api_key_create(name="schemathesis", scope="read_write", created_by=owner).raw_key
    connection.set_schema_to_public()
    yield raw
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          # The same cases on every run, so CI is repeatable; SCHEMATHESIS_RANDOM=1 explores.
          derandomize=not os.environ.get("SCHEMATHESIS_RANDOM"),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_api_conforms_to_its_schema_and_never_fails(case, owner_key):
    CASES_RUN["count"] += 1
    case.call_and_validate(base_url="http://acme.localhost",
                           headers={"Authorization": f"Api-Key {owner_key}"},
                           excluded_checks=[positive_data_acceptance])


def test_schemathesis_generated_cases(request):
    """Reports how many generated cases ran (shown with -rA); fails if none did."""
    if "test_api_conforms_to_its_schema_and_never_fails" not in " ".join(
            item.name for item in request.session.items):
        pytest.skip("the schemathesis operations were not collected in this run")
    print(f"schemathesis cases run: {CASES_RUN['count']}")
