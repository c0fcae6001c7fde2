"""Self-serve sign-up and "Find my workspace" on the public host: the landing page, the live
subdomain check (same rules as operators get), field messages for bad input (never a 500), the
honeypot, the per-address rate limit, the provisioning job through to the owner's e-mail, and a
"find" answer that never says whether an address exists."""

from __future__ import annotations

import html as htmllib
import re
import time

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

PUBLIC = {"HTTP_HOST": "localhost"}
GOOD = {"name": "Umbrella Corp", "slug": "umbrella-signup", "email": "Alice@Umbrella.example",
        "website": ""}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _post(client, path, data, address="203.0.113.7"):
    return client.post(path, data, REMOTE_ADDR=address, **PUBLIC)


def test_the_landing_page_offers_both_forms_in_the_design_system(db, client):
    html = client.get("/", **PUBLIC).content.decode()
    assert "/static/core/app.css" in html and "data-theme-toggle" in html
    assert "Create your workspace" in html and "Find my workspace" in html
    assert 'hx-get="/signup/check"' in html and 'name="website"' in html


@override_settings(SIGNUP_OPEN=False)
def test_closed_sign_up_shows_no_form_and_refuses_posts(db, client):
    assert "Create your workspace" not in client.get("/", **PUBLIC).content.decode()
    assert _post(client, "/signup/", GOOD).status_code == 404


@pytest.mark.parametrize("slug,expected", [
    ("fresh-name", "fresh-name.localhost is available."),
    ("acme", "acme.localhost is taken."),
    ("www", "'www' is reserved by the platform."),
    ("Bad_Slug", "Use lowercase letters only."),
    ("ab", "A slug is 3 to 63 characters long."),
    ("-xy-", "A slug is a DNS label"),
    ("", "A slug is required."),
])
def test_the_live_check_applies_the_slug_rules(db, client, slug, expected):
    response = client.get("/signup/check", {"slug": slug}, HTTP_HX_REQUEST="true", **PUBLIC)
    assert response.status_code == 200
    assert expected in htmllib.unescape(response.content.decode())


@pytest.mark.parametrize("field,value,message", [
    ("name", "", "This field is required."),
    ("slug", "acme", "acme.localhost is taken."),
    ("slug", "admin", "reserved by the platform"),
    ("slug", "x" * 64, "at most 63 characters"),
    ("email", "not-an-address", "Enter a valid email address."),
])
def test_bad_input_gets_the_form_back_with_the_fields_message(db, client, field, value,
                                                              message):
    response = _post(client, "/signup/", {**GOOD, field: value})
    assert response.status_code == 400
    assert message in htmllib.unescape(response.content.decode())


def test_a_filled_honeypot_creates_nothing(db, client):
    from tenants.models import Tenant

    response = _post(client, "/signup/", {**GOOD, "website": "http://spam.example"})
    assert response.status_code == 400 and "could not be sent" in response.content.decode()
    assert not Tenant.objects.filter(slug=GOOD["slug"]).exists()
    assert _post(client, "/find-workspace/", {"email": "a@b.example",
                                             "website": "x"}).status_code == 400


@override_settings(SIGNUP_RATE_PER_HOUR=3)
def test_both_forms_are_rate_limited_per_client_address(db, client):
    bad = {**GOOD, "slug": "acme"}  # refused as taken: counts, creates nothing
    assert [_post(client, "/signup/", bad).status_code for _ in range(4)] == [400, 400, 400, 429]
    assert "Too many attempts" in _post(client, "/signup/", bad).content.decode()
    assert _post(client, "/signup/", bad, address="198.51.100.9").status_code == 400
    find = {"email": "nobody@x.example", "website": ""}
    codes = [_post(client, "/find-workspace/", find).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_find_my_workspace_answers_the_same_whether_or_not_the_address_exists(
        db, client, mailoutbox, monkeypatch):
    from tenants import tasks

    queued = []
    monkeypatch.setattr(tasks.find_workspaces, "delay", lambda **kw: queued.append(kw))
    known = _post(client, "/find-workspace/", {"email": "owner@acme.test", "website": ""})
    unknown = _post(client, "/find-workspace/", {"email": "ghost@nowhere.example",
                                                 "website": ""})

    def answer(response):
        html = response.content.decode()
        # The CSRF tokens differ per response; nothing else may.
        return re.sub(r"(owner@acme\.test|ghost@nowhere\.example)", "ADDRESS",
                      re.sub(r"[A-Za-z0-9]{64}", "TOKEN", html))

    assert known.status_code == unknown.status_code == 200
    assert answer(known) == answer(unknown)
    assert "we have sent it an e-mail listing them" in known.content.decode()
    assert [q["email"] for q in queued] == ["owner@acme.test", "ghost@nowhere.example"]
    assert _post(client, "/find-workspace/", {"email": "nope", "website": ""}).status_code == 400


def test_the_find_email_lists_every_workspace_of_the_address_and_only_those(
        db, make_user, mailoutbox):
    from tenants.workspaces_find import workspaces_email_send

    make_user("globex", role="viewer", email="owner@acme.test")  # the same person, 2 tenants
    make_user("initech", role="viewer", email="gone@acme.test", is_active=False)
    assert workspaces_email_send(email="Owner@Acme.test", scheme="http", port="8000") == 2
    body = mailoutbox[0].body
    assert mailoutbox[0].to == ["owner@acme.test"] and mailoutbox[0].subject == "Your workspaces"
    assert "http://acme.localhost:8000/" in body and "http://globex.localhost:8000/" in body
    assert "initech" not in body
    assert workspaces_email_send(email="gone@acme.test", scheme="http", port="") == 0
    assert workspaces_email_send(email="ghost@nowhere.example", scheme="http", port="") == 0
    assert len(mailoutbox) == 1  # nothing is sent to an address without workspaces


def test_the_lookup_is_one_query_per_batch_of_schemas(db, django_assert_max_num_queries):
    from tenants.workspaces_find import workspaces_of_email

    # The registry, then one UNION ALL for all (up to 500) schemas; a third for search_path.
    with django_assert_max_num_queries(3):
        assert [t.slug for t in workspaces_of_email("owner@acme.test")] == ["acme"]


def test_sign_up_runs_the_job_shows_its_progress_and_emails_the_link(
        celery_worker, mailoutbox):
    from tenants.models import Tenant
    from tenants.services import tenant_delete

    client = Client()
    slug = "signup-e2e"
    try:
        started = _post(client, "/signup/", {**GOOD, "slug": slug})
        assert started.status_code == 302, started.content[:500]
        progress_url = started["Location"]
        for _ in range(120):
            fragment = client.get(progress_url, HTTP_HX_REQUEST="true", **PUBLIC)
            if "Your workspace is ready" in fragment.content.decode():
                break
            time.sleep(0.25)
        html = fragment.content.decode()
        assert "Your workspace is ready" in html and "alice@umbrella.example" in html
        assert "/invitations/" not in html  # the link goes to the mailbox only
        assert len(mailoutbox) == 1 and mailoutbox[0].to == ["alice@umbrella.example"]
        link = re.search(r"http://signup-e2e\.localhost(/invitations/\S+)", mailoutbox[0].body)
        assert link, mailoutbox[0].body
        host = f"{slug}.localhost"
        form = {"password": "my-own-pass-123", "password_again": "my-own-pass-123"}
        assert client.post(link[1], form, HTTP_HOST=host).status_code == 302
        assert client.get("/api/v1/me", HTTP_HOST=host).json()["role"] == "owner"
        assert client.get(progress_url.replace("signup/", "signup/0"),
                          **PUBLIC).status_code == 404
        assert Client().get(progress_url, **PUBLIC).status_code == 404  # another browser
    finally:
        if Tenant.objects.filter(slug=slug).exists():
            tenant_delete(slug=slug, force=True)
