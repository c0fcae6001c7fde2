"""``manage.py starttenantapp``: the generated app works as generated, with the one documented
edit (``TENANT_APPS``) and nothing else.

The end-to-end test copies the project to a scratch directory (the running suite's tree is never
written to), generates ``assets`` there, installs it, checks that its hand-written initial
migration matches its model (``makemigrations --check``), lints it, and runs its generated tests,
the cross-tenant isolation suite and the Schemathesis run in the copy. The copy has a database
(``saas_scaffold``; its test database is named per run, as the suite's own is) and a Redis
database number of its own, so it never collides with the suite that runs it.
Its timings are printed (``pytest -s`` or ``-rP`` shows them); docs/adding-a-tenant-app.md
quotes them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import environ
import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tenant_apps.core.management.commands.starttenantapp import app_names

ROOT = Path(__file__).resolve().parents[2]
SCAFFOLD_DB = "saas_scaffold"
SCAFFOLD_REDIS_DB = 7
TIMEOUT = 900  # the generated tests plus the isolation and Schemathesis suites
# Never copied: environments, data, caches.
SKIP_PARTS = {".venv", ".data", ".git", ".tools", "__pycache__", ".pytest_cache", ".ruff_cache",
              ".hypothesis", ".import_linter_cache"}


# -- refusals (in-process, nothing is written) --------------------------------------------------
@pytest.mark.parametrize("args,fragment", [
    (["Bad-Name"], "not a valid tenant app name"),
    (["Assets"], "not a valid tenant app name"),
    (["class"], "not a valid tenant app name"),
    (["inventory"], "tenant_apps/inventory already exists"),
    (["auth"], "label of the installed app django.contrib.auth"),
    (["tenants"], "label of the installed app tenants"),
    (["things", "--prefix", "inventory"], "taken by the inventory app"),
    (["things", "--prefix", "api"], "a path of the platform"),
    (["things", "--prefix", "No_Good"], "not a URL segment"),
    (["things", "--entity", "thing"], "not a model name"),
    (["things", "--entity", "Role"], "would shadow"),
])
def test_refuses_in_one_line_and_writes_nothing(args, fragment):
    before = sorted(p.name for p in (ROOT / "tenant_apps").iterdir())
    with pytest.raises(CommandError, match=re.escape(fragment)) as refused:
        call_command("starttenantapp", *args)
    assert "\n" not in str(refused.value)
    assert sorted(p.name for p in (ROOT / "tenant_apps").iterdir()) == before
    assert not (ROOT / "tests" / "things").exists()


@pytest.mark.parametrize("name,entity,route,counter", [
    ("assets", "Asset", "assets", "assets"),
    ("work_orders", "WorkOrder", "work-orders", "work_orders"),
    ("categories", "Category", "categories", "categories"),
    ("boxes", "Box", "boxes", "boxes"),
    ("billing", "Billing", "billings", "billings"),
])
def test_default_names(name, entity, route, counter):
    names = app_names(name)
    assert (names.entity, names.entity_route, names.entity_plural_snake) == (
        entity, route, counter)
    assert names.prefix == name.replace("_", "-")


# -- end to end, in a copy of the project -------------------------------------------------------
def _project_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    except (OSError, subprocess.SubprocessError):
        listed = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")]
    return [name for name in listed
            if name and not SKIP_PARTS.intersection(Path(name).parts) and (ROOT / name).is_file()]


def _copy_project(target: Path) -> Path:
    for name in _project_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    (target / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return target


def _scaffold_database_url() -> str:
    """DATABASE_URL with the database ``saas_scaffold`` (created when missing)."""
    url = os.environ["DATABASE_URL"]
    config = environ.Env.db_url_config(url)
    with psycopg.connect(dbname=config["NAME"], user=config.get("USER") or None,
                         password=config.get("PASSWORD") or None,
                         host=config.get("HOST") or None, port=config.get("PORT") or None,
                         autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                        [SCAFFOLD_DB]).fetchone() is None:
            # Another run may create it at the same moment.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(f"CREATE DATABASE {SCAFFOLD_DB}")
    base, sep, query = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{SCAFFOLD_DB}{sep}{query}"


def _scaffold_redis_url() -> str:
    """REDIS_URL with the database number SCAFFOLD_REDIS_DB."""
    base, _, query = os.environ["REDIS_URL"].partition("?")
    params = parse_qs(query)
    if base.startswith("unix:") or "db" in params:
        params["db"] = [str(SCAFFOLD_REDIS_DB)]
        return f"{base}?{urlencode(params, doseq=True)}"
    server = urlunsplit(urlsplit(base)._replace(path=f"/{SCAFFOLD_REDIS_DB}"))
    return f"{server}?{query}" if query else server


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Iterator[tuple[Path, dict[str, str]]]:
    target = _copy_project(tmp_path_factory.mktemp("scaffold") / "project")
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("PYTEST_", "DJANGO_"))}
    env.update(DATABASE_URL=_scaffold_database_url(), REDIS_URL=_scaffold_redis_url(),
               DJANGO_SETTINGS_MODULE="saas_platform.settings.test",
               SAAS_DATA_DIR=str(target / ".data"))
    yield target, env
    shutil.rmtree(target, ignore_errors=True)


def _run(copy: tuple[Path, dict[str, str]], *args: str) -> subprocess.CompletedProcess[str]:
    target, env = copy
    return subprocess.run([str(target / ".venv" / "bin" / "python"), *args], cwd=target, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL)


def _install(target: Path, name: str) -> None:
    """The one manual edit the command asks for."""
    settings_file = target / "saas_platform" / "settings" / "base.py"
    text = settings_file.read_text()
    edited = re.sub(r"(TENANT_APPS = \[\n(?:    .*\n)*?)\]", rf'\1    "tenant_apps.{name}",\n]',
                    text, count=1)
    assert edited != text
    settings_file.write_text(edited)


def test_a_generated_app_passes_its_tests_and_the_platform_suites(copy):
    target, _env = copy
    timings: dict[str, float] = {}

    started = time.monotonic()
    generated = _run(copy, "manage.py", "starttenantapp", "assets")
    timings["starttenantapp"] = time.monotonic() - started
    assert generated.returncode == 0, generated.stderr
    assert '"tenant_apps.assets",' in generated.stdout
    assert "migrate_all" in generated.stdout
    for path in ("apps.py", "models.py", "migrations/0001_initial.py", "services.py",
                 "selectors.py", "filters.py", "serializers.py", "api.py", "urls.py", "web.py",
                 "templates/assets/home.html", "demo.py"):
        assert (target / "tenant_apps" / "assets" / path).is_file(), path
    for path in ("__init__.py", "factories.py", "test_services.py", "test_api.py",
                 "test_roles.py", "test_isolation.py"):
        assert (target / "tests" / "assets" / path).is_file(), path

    again = _run(copy, "manage.py", "starttenantapp", "assets")
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        "CommandError: tenant_apps/assets already exists: choose another name."]

    _install(target, "assets")
    started = time.monotonic()
    migrations = _run(copy, "manage.py", "makemigrations", "--check", "--dry-run")
    timings["makemigrations --check"] = time.monotonic() - started
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr
    assert "No changes detected" in migrations.stdout

    lint = subprocess.run([str(target / ".venv" / "bin" / "ruff"), "check", "tenant_apps/assets",
                           "tests/assets"], cwd=target, capture_output=True, text=True,
                          timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    layers = subprocess.run([str(target / ".venv" / "bin" / "lint-imports"), "--no-cache"],
                            cwd=target, capture_output=True, text=True, timeout=300)
    assert layers.returncode == 0, layers.stdout + layers.stderr

    started = time.monotonic()
    own = _run(copy, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests/assets",
               "tests/core/test_tenant_app_lint.py")
    timings["its generated tests"] = time.monotonic() - started
    assert own.returncode == 0, own.stdout[-6000:] + own.stderr[-2000:]
    assert re.search(r"tests/assets/test_roles\.py::test_role_matrix\[\S+\] PASSED", own.stdout)

    started = time.monotonic()
    suites = _run(copy, "-m", "pytest", "-v", "-p", "no:cacheprovider",
                  "tests/test_isolation_suite.py", "tests/test_schemathesis.py")
    timings["isolation suite + Schemathesis"] = time.monotonic() - started
    assert suites.returncode == 0, suites.stdout[-6000:] + suites.stderr[-2000:]
    assert ("test_no_row_of_another_tenant_is_ever_visible"
            "[iso-b-session-/api/v1/assets/assets/{id}] PASSED") in suites.stdout
    assert "test_api_conforms_to_its_schema_and_never_fails PASSED" in suites.stdout

    print("starttenantapp end to end:", ", ".join(
        f"{step} {seconds:.1f} s" for step, seconds in timings.items()))
