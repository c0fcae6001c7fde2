"""``manage.py migrate_all`` over several tenants: the template's plan, replayed, leaves every
schema as Django would; drift and unsafe migrations fall back to Django and are reported; a
killed run resumes without applying anything twice; a tenant whose lock cannot be taken fails
alone.

Run in subprocesses with the test settings plus a ``probe`` tenant app (FLEET_PROBE_MIGRATIONS,
whose migrations each test writes into a scratch package), on a database of its own that is
dropped afterwards: nothing here touches the suite's test database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import environ
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "fleet_probe_migrations"


class Fleet:
    """The scratch project state: a database, the probe app's migrations so far, helpers."""

    def __init__(self, tmp: Path, database_url: str, redis_url: str) -> None:
        self.package = tmp / PACKAGE
        self.package.mkdir()
        (self.package / "__init__.py").write_text("")
        self.migrations: list[str] = []
        self.env = {name: value for name, value in os.environ.items()
                    if not name.startswith(("PYTEST_", "DJANGO_"))}
        self.env.update(DATABASE_URL=database_url, REDIS_URL=redis_url,
                        DJANGO_SETTINGS_MODULE="saas_platform.settings.test",
                        FLEET_PROBE_MIGRATIONS=PACKAGE,
                        PYTHONPATH=f"{tmp}{os.pathsep}{ROOT}")
        config = environ.Env.db_url_config(database_url)
        self.connect_args = dict(dbname=config["NAME"], user=config.get("USER") or None,
                                 password=config.get("PASSWORD") or None,
                                 host=config.get("HOST") or None,
                                 port=str(config["PORT"]) if config.get("PORT") else None)

    def add_migration(self, name: str, operations: str, header: str = "") -> str:
        number = f"{len(self.migrations) + 1:04d}"
        full = f"{number}_{name}"
        depends = f'[("probe", "{self.migrations[-1]}")]' if self.migrations else "[]"
        (self.package / f"{full}.py").write_text(
            "import django.db.models.deletion\nfrom django.db import migrations, models\n\n"
            + textwrap.dedent(header) + "\n\nclass Migration(migrations.Migration):\n"
            f"    dependencies = {depends}\n    operations = [\n"
            + textwrap.indent(textwrap.dedent(operations).strip(), " " * 8) + "\n    ]\n")
        self.migrations.append(full)
        return full

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, *args], cwd=ROOT, env=self.env, text=True,
                                capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
        if check:
            assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        return result

    def migrate_all(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("manage.py", "migrate_all", *args, check=check)

    def state(self) -> dict:
        return json.loads(self.run("-m", "tests.fleet.driver", "state").stdout.splitlines()[-1])

    def sql(self, statement: str) -> list[tuple]:
        with psycopg.connect(**self.connect_args, autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Iterator[Fleet]:
    admin = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    name = f"saas_fleet_{uuid.uuid4().hex[:8]}"
    admin_args = dict(dbname=admin["NAME"], user=admin.get("USER") or None,
                      password=admin.get("PASSWORD") or None, host=admin.get("HOST") or None,
                      port=str(admin["PORT"]) if admin.get("PORT") else None, autocommit=True)
    with psycopg.connect(**admin_args) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, sep, query = os.environ["DATABASE_URL"].partition("?")
    redis_base, _sep, _query = os.environ["REDIS_URL"].partition("?")
    redis_url = (f"{redis_base}?db=6" if redis_base.startswith("unix:")
                 else redis_base.rsplit("/", 1)[0] + "/6")
    fleet = Fleet(tmp_path_factory.mktemp("fleet"), f"{base.rsplit('/', 1)[0]}/{name}{sep}{query}",
                  redis_url)
    fleet.add_migration("initial", """
        migrations.CreateModel(name="Box", fields=[
            ("id", models.BigAutoField(primary_key=True, serialize=False)),
            ("label", models.CharField(max_length=40, unique=True))]),
        migrations.CreateModel(name="Thing", fields=[
            ("id", models.BigAutoField(primary_key=True, serialize=False)),
            ("name", models.CharField(max_length=50)),
            ("qty", models.IntegerField(default=0)),
            ("box", models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE,
                                      to="probe.box"))]),
    """)
    try:
        fleet.migrate_all()
        fleet.run("-m", "tests.fleet.driver", "tenants", "4")
        yield fleet
    finally:
        with psycopg.connect(**admin_args) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _tenant_schemas(state: dict) -> list[str]:
    return [s for s in state if s.startswith("t_")]


def test_addfield_addindex_removefield_alterfield_match_django(fleet):
    fleet.add_migration("note", """
        migrations.AddField("thing", "note", models.CharField(max_length=100, default="",
                                                              blank=True)),""")
    fleet.add_migration("index", """
        migrations.AddIndex("thing", models.Index(fields=["name", "qty"],
                                                  name="probe_thing_name_qty")),""")
    fleet.add_migration("no_box", 'migrations.RemoveField("thing", "box"),')
    fleet.add_migration("longer_name", """
        migrations.AlterField("thing", "name", models.CharField(max_length=120,
                                                                db_index=True)),""")
    out = fleet.migrate_all("--jobs", "2").stdout
    assert "4 migrated by the plan, 0 by Django (fallen back)" in out, out

    # A schema made by Django's migrations alone is the reference every tenant must equal.
    fleet.run("-m", "tests.fleet.driver", "reference", "fleetref")
    state = fleet.state()
    reference = state["t_fleetref"]
    for schema in [*_tenant_schemas(state), "tenant_template"]:
        assert state[schema]["fingerprint"] == reference["fingerprint"], schema
        assert state[schema]["migrations"] == reference["migrations"], schema
        assert state[schema]["content"] == reference["content"], schema
    assert "probe.0005_longer_name" in reference["migrations"]

    again = fleet.migrate_all().stdout
    assert "nothing to migrate" in again, again


def test_drifted_schema_and_runpython_fall_back_and_are_reported(fleet):
    fleet.sql("ALTER TABLE t_fleet2.probe_box ADD COLUMN hand_made integer")
    fleet.add_migration("box_colour", """
        migrations.AddField("box", "colour", models.CharField(max_length=20, default="red")),""")
    out = fleet.migrate_all().stdout
    assert "by Django (fallen back)" in out
    assert "fallen back  t_fleet2: drift: its structure differs from the template's" in out, out
    assert "t_fleet1:" not in out  # the others took the plan
    state = fleet.state()
    assert all(f"probe.{fleet.migrations[-1]}" in state[s]["migrations"]
               for s in _tenant_schemas(state))

    fleet.add_migration("touch_rows", "migrations.RunPython(forwards, migrations.RunPython.noop),",
                        header="""
        def forwards(apps, schema_editor):
            apps.get_model("probe", "Box").objects.create(label="made by RunPython")
        """)
    out = fleet.migrate_all().stdout
    assert "The plan was not used: probe." + fleet.migrations[-1] + " has RunPython" in out, out
    assert "fallen back  t_fleet1: probe." in out
    rows = fleet.sql("SELECT count(*) FROM t_fleet3.probe_box WHERE label = 'made by RunPython'")
    assert rows == [(1,)]


def _wait_for(fleet: Fleet, sql: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fleet.sql(sql):
            return
        time.sleep(0.1)
    activity = fleet.sql("SELECT pid, state, wait_event_type, left(query, 200) "
                         "FROM pg_stat_activity WHERE datname = current_database()")
    raise AssertionError(f"timed out waiting for {sql}: {activity}")


def test_a_killed_run_resumes_without_applying_anything_twice(fleet):
    migration = fleet.add_migration("weight", """
        migrations.AddField("thing", "weight", models.IntegerField(null=True)),""")
    env_python = [sys.executable, "manage.py", "migrate_all", "--jobs", "1", "--canary",
                  "fleet1", "--lock-timeout", "120s"]
    with psycopg.connect(**fleet.connect_args) as blocker:
        blocker.execute("LOCK TABLE t_fleet3.probe_thing IN ACCESS EXCLUSIVE MODE")
        process = subprocess.Popen(env_python, cwd=ROOT, env=fleet.env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            _wait_for(fleet, "SELECT 1 FROM tenants_fleetruntenant WHERE "
                             "schema_name = 't_fleet3' AND state = 'started'")
        finally:
            process.send_signal(signal.SIGKILL)
            killed_output = process.communicate()
        assert process.returncode == -signal.SIGKILL, killed_output
        blocker.rollback()
    applied = f"SELECT count(*) FROM {{}}.django_migrations WHERE name = '{migration}'"  # noqa: S608
    assert fleet.sql(applied.format("t_fleet1")) == [(1,)]  # the canary was done
    assert fleet.sql(applied.format("t_fleet3")) == [(0,)]  # killed while waiting: nothing

    out = fleet.migrate_all("--resume").stdout
    assert "failed" in out and "0 failed" in out, out
    for schema in ("t_fleet1", "t_fleet2", "t_fleet3", "t_fleet4", "t_fleetref"):
        assert fleet.sql(applied.format(schema)) == [(1,)], schema
    rows = fleet.sql("SELECT schema_name, state, attempts FROM tenants_fleetruntenant "
                     "WHERE run_id = (SELECT max(id) FROM tenants_fleetrun) ORDER BY 1")
    assert dict((s, st) for s, st, _a in rows)["t_fleet3"] == "done"
    assert dict((s, a) for s, _st, a in rows)["t_fleet3"] == 2  # the killed try and the resume


def test_a_tenant_whose_lock_cannot_be_taken_fails_alone(fleet):
    migration = fleet.add_migration("size", """
        migrations.AddField("thing", "size", models.IntegerField(null=True)),""")
    with psycopg.connect(**fleet.connect_args) as blocker:
        blocker.execute("LOCK TABLE t_fleet4.probe_thing IN ACCESS EXCLUSIVE MODE")
        result = fleet.migrate_all("--lock-timeout", "1s", check=False)
        blocker.rollback()
    assert result.returncode == 1
    assert "FAILED       t_fleet4:" in result.stdout and "lock timeout" in result.stdout, \
        result.stdout
    applied = f"SELECT count(*) FROM {{}}.django_migrations WHERE name = '{migration}'"  # noqa: S608
    for schema in ("t_fleet1", "t_fleet2", "t_fleet3", "t_fleetref"):
        assert fleet.sql(applied.format(schema)) == [(1,)], schema
    assert fleet.sql(applied.format("t_fleet4")) == [(0,)]

    retried = fleet.migrate_all("--tenant", "fleet4").stdout
    assert "1 migrated by the plan" in retried, retried
    assert fleet.sql(applied.format("t_fleet4")) == [(1,)]
