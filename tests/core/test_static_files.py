"""Static files (the console's and the API docs' CSS and JavaScript) are served by the web
process itself, through WhiteNoise: a deployment needs no proxy rule for /static/."""

import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("host", ["localhost", "acme.localhost"])
def test_static_files_are_served_on_public_and_tenant_hosts(db, client, host):
    response = client.get("/static/admin/css/base.css", HTTP_HOST=host)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"".join(response.streaming_content)


def test_static_files_on_an_unknown_host_are_404_like_everything_else(db, client):
    response = client.get("/static/admin/css/base.css", HTTP_HOST="nobody.localhost")
    assert response.status_code == 404


def test_every_asset_the_api_docs_page_names_is_served(client, make_user):
    from tests.conftest import TenantClient

    owner = make_user("acme", role="owner")
    page = TenantClient("acme").login_as(owner).get("/api/v1/docs/")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.content.decode())
    assert assets, "the docs page names no static asset"
    for asset in assets:
        assert client.get(asset, HTTP_HOST="acme.localhost").status_code == 200, asset


def test_production_serves_collected_hashed_files_with_far_future_caching(tmp_path):
    """What the image does: collectstatic at build time, then the production settings serve
    the hashed, compressed copies."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "SECRET_KEY"},
        "DJANGO_SETTINGS_MODULE": "saas_platform.settings.production",
        "SECRET_KEY": "k" * 20 + "Zq8-Xw2_" + "p" * 30,
        "STATIC_ROOT": str(tmp_path / "static"),
        "SECURE_SSL_REDIRECT": "False",
    }
    collect = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput",
                              "--verbosity", "0"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=300)
    assert collect.returncode == 0, collect.stderr
    probe = textwrap.dedent("""
        import django, json
        django.setup()
        from django.templatetags.static import static
        from django.test import Client
        url = static("admin/css/base.css")
        client = Client()
        hashed = client.get(url, HTTP_HOST="localhost", HTTP_ACCEPT_ENCODING="gzip")
        plain = client.get("/static/admin/css/base.css", HTTP_HOST="localhost")
        print(json.dumps({"url": url, "status": hashed.status_code,
                          "cache": hashed.get("Cache-Control", ""),
                          "encoding": hashed.get("Content-Encoding", ""),
                          "plain_status": plain.status_code}))
    """)
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    import json

    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert re.fullmatch(r"/static/admin/css/base\.[0-9a-f]{12}\.css", seen["url"]), seen
    assert seen["status"] == 200
    assert "immutable" in seen["cache"] and "max-age=315360000" in seen["cache"]
    assert seen["encoding"] == "gzip"
    assert seen["plain_status"] == 200  # unhashed names still work, with a short max-age


TRAVERSALS = ["/static/..%2f..%2fmanage.py", "/static/../../manage.py",
              "/static/..%2f..%2fsaas_platform%2fsettings%2fbase.py",
              "/static/%2e%2e/%2e%2e/manage.py", "/static/admin/..%2f..%2f..%2fpyproject.toml"]


@pytest.mark.parametrize("host", ["localhost", "acme.localhost"])
def test_make_runs_server_answers_a_path_traversal_under_static_with_a_404(db, host,
                                                                           settings):
    """``make run`` is ``manage.py runserver`` with DEBUG on: the WSGI handler that command
    builds (with whatever wraps it) must answer a traversal 404, not a 500, and still serve
    real files."""
    from django.core import signals
    from django.core.management import get_commands, load_command_class
    from django.db import close_old_connections

    settings.DEBUG = True
    command = load_command_class(get_commands()["runserver"], "runserver")
    options = vars(command.create_parser("manage.py", "runserver").parse_args([]))
    handler = command.get_handler(**options)

    def call(path: str) -> tuple[int, bytes]:
        from urllib.parse import unquote

        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": unquote(path), "QUERY_STRING": "",
                   "SERVER_NAME": host, "SERVER_PORT": "80", "HTTP_HOST": host,
                   "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
                   "wsgi.errors": sys.stderr}
        status = []
        body = b"".join(handler(environ, lambda s, h, *a: status.append(s)))
        return int(status[0].split()[0]), body

    # Django's own handler would close the test's transaction around each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        assert call("/static/admin/css/base.css")[0] == 200
        for path in TRAVERSALS:
            status, body = call(path)
            assert status == 404, (path, status)
            assert b"DJANGO_SETTINGS_MODULE" not in body and b"[tool." not in body
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
