"""Property-based API testing with Schemathesis against the OpenAPI schemas: generated requests,
valid and invalid, to every operation of the tenant API and of the operator API must never get a
5xx, and every response must match the schema (status codes, content types, bodies).

Runs in-process through Django's WSGI handler, each operation inside a rolled-back test
transaction. The tenant API is called with an owner's API key on acme's three kinds of host in
turn: its subdomain, a verified custom domain and that domain's ``www.`` alias. The operator API
(generated from the public host's URLs, so new operator endpoints are covered as they come) is
called on the public host with a staff user's console session and CSRF token; the operations
that queue a Celery job (provision, archive, restore) run their validation for real, and the
job is not queued (tests/core/test_operator_api.py runs them with a worker).
SCHEMATHESIS_EXAMPLES sets examples per operation (default 25).

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
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance


def _load_schema(urlconf: str | None = None):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    # Through the schema endpoint's own renderer: what integrators download (numbers, not
    # Decimals).
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(generated)))
    loaded.app = WSGIHandler()
    return loaded


schema = _load_schema()
operator_schema = _load_schema("saas_platform.urls_public").include(
    path_regex=r"^/api/operator/")
CUSTOM_DOMAIN = "shop.acme-fuzz.example"
TENANT_HOSTS = ("acme.localhost", CUSTOM_DOMAIN, f"www.{CUSTOM_DOMAIN}")
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
# Fewer for the operator API: a dozen operations, most of them a lookup and one state change.
OPERATOR_EXAMPLES = max(1, EXAMPLES * 2 // 5)
CASES_RUN = {"count": 0}
OPERATOR_STATUSES: list[int] = []


@pytest.fixture
def owner_key(db, make_user):
    from tenant_apps.core.services.api_keys import api_key_create

    # Django closes "old" connections around each request, which inside a test transaction
    # would close the transaction itself; its own test client switches this off the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    from tenants.domains import domain_add
    from tenants.models import Domain, DomainStatus, Tenant

    owner = make_user("acme", role="owner")
    with schema_context("t_acme"):
        raw = api_key_create(name="schemathesis", scope="read_write", created_by=owner).raw_key
    connection.set_schema_to_public()
    domain_add(tenant=Tenant.objects.get(slug="acme"), domain=CUSTOM_DOMAIN)
    Domain.objects.filter(domain=CUSTOM_DOMAIN).update(status=DomainStatus.VERIFIED)
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
    host = TENANT_HOSTS[CASES_RUN["count"] % len(TENANT_HOSTS)]
    case.call_and_validate(base_url=f"http://{host}",
                           headers={"Authorization": f"Api-Key {owner_key}"},
                           excluded_checks=[positive_data_acceptance])


@pytest.fixture
def operator_session(db, monkeypatch):
    """Headers of a signed-in operator (session cookie and CSRF token), with the Celery jobs
    the operator API would queue replaced by a receipt."""
    import secrets
    import types

    from django.test import Client

    from shared_apps.accounts.models import User
    from tenants import api

    for task in (api.provision_tenant, api.archive_tenant, api.restore_tenant):
        monkeypatch.setattr(task, "delay", lambda *a, **k: types.SimpleNamespace(
            id=f"not-queued-{secrets.token_hex(4)}"))
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    operator = User.objects.create_user(email="fuzz-ops@platform.test", password="x" * 12,
                                        is_staff=True)
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(operator)
    csrf = secrets.token_hex(16)
    yield {"cookies": {"sessionid": browser.cookies["sessionid"].value, "csrftoken": csrf},
           "headers": {"X-CSRFToken": csrf}}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@operator_schema.parametrize()
@settings(max_examples=OPERATOR_EXAMPLES, deadline=None, derandomize=not os.environ.get(
              "SCHEMATHESIS_RANDOM"),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_operator_api_conforms_to_its_schema_and_never_fails(case, operator_session):
    CASES_RUN["count"] += 1
    # As case cookies: the WSGI transport builds the Cookie header from them.
    case.cookies = {**(case.cookies or {}), **operator_session["cookies"]}
    # ``ignored_auth`` is off here: it re-sends the case with a made-up session cookie, which
    # the real one set above overrides. Refusals of anonymous callers, tenant keys and tenant
    # sessions on every operator route are tests/core/test_operator_api_auth.py's and the
    # isolation suite's.
    response = case.call_and_validate(base_url="http://localhost",
                                      headers=operator_session["headers"],
                                      excluded_checks=[positive_data_acceptance, ignored_auth])
    OPERATOR_STATUSES.append(response.status_code)


def test_schemathesis_generated_cases(request):
    """Reports how many generated cases ran (shown with -rA); fails if none did."""
    if "_conforms_to_its_schema_and_never_fails" not in " ".join(
            item.name for item in request.session.items):
        pytest.skip("the schemathesis operations were not collected in this run")
    print(f"schemathesis cases run: {CASES_RUN['count']}")
    if OPERATOR_STATUSES:
        # The operator's session must have been accepted: an all-401 run would prove nothing.
        assert sum(200 <= status < 300 for status in OPERATOR_STATUSES) >= 5, sorted(
            set(OPERATOR_STATUSES))
