"""The deploy files name only things that exist.

There is no Docker engine where the tests run, so these read docker-compose.yml, the Dockerfile,
.env.example and the gunicorn config, and check each reference against the project: commands,
modules, settings, environment variables, copied files. No database needed.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"

APP_SERVICES = ("web", "worker", "beat", "migrate")
REQUIRED_ENV = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BASE_DOMAIN", "DJANGO_SETTINGS_MODULE")
# Read by Django itself rather than by our settings.
READ_BY_DJANGO = {"DJANGO_SETTINGS_MODULE"}


# -- readers ----------------------------------------------------------------------------------
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def command_of(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def env_example() -> dict[str, bool]:
    """Variables documented in .env.example -> whether set (True) or only shown commented."""
    documented: dict[str, bool] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=", line.strip())
        if match:
            documented[match.group(2)] = documented.get(match.group(2), False) or not match[1]
    return documented


def env_vars_read_by(paths: list[Path]) -> set[str]:
    pattern = re.compile(
        r"""(?:\benv(?:\.\w+)?\(|os\.environ\.get\(|os\.environ\[|os\.getenv\()\s*["']([A-Z][A-Z0-9_]*)["']"""
    )
    return {name for path in paths for name in pattern.findall(path.read_text())}


def settings_env_vars() -> set[str]:
    return env_vars_read_by(sorted((ROOT / "saas_platform" / "settings").glob("*.py")))


def interpolated_vars() -> set[str]:
    """Variables compose substitutes into the file itself (${NAME}, ${NAME:-default}, ...);
    $${NAME} is an escaped dollar, left to the container's shell."""
    return set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", COMPOSE_FILE.read_text()))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        instruction, _, arguments = current.partition(" ")
        lines.append((instruction.upper(), arguments.strip()))
        current = ""
    return lines


# -- compose: services, images, dependencies ----------------------------------------------------
def test_compose_defines_the_platform_services():
    defined = services()
    assert set(APP_SERVICES) | {"postgres", "redis"} <= set(defined)
    assert defined["postgres"]["image"].split(":")[1].startswith("16")
    assert defined["redis"]["image"].split(":")[1].startswith("7")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_are_built_from_the_dockerfile(name):
    build = services()[name]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    assert services()[name]["env_file"] in (".env", [".env"])


@pytest.mark.parametrize("name", ("web", "worker", "beat"))
def test_app_processes_wait_for_healthy_services_and_the_migration(name):
    depends = services()[name]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_migrate_runs_once_after_the_database_is_healthy():
    migrate = services()["migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "migrate" not in migrate["depends_on"]
    assert migrate.get("restart") in ("no", False)


def test_healthchecks_probe_what_they_should():
    defined = services()
    web_probe = " ".join(defined["web"]["healthcheck"]["test"])
    assert "/healthz" in web_probe and "BASE_DOMAIN" in web_probe
    assert "pg_isready" in " ".join(defined["postgres"]["healthcheck"]["test"])
    assert defined["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]


def test_web_healthcheck_path_is_served_on_the_public_host():
    from django.conf import settings
    from django.urls import resolve

    assert resolve("/healthz", urlconf=settings.PUBLIC_SCHEMA_URLCONF).url_name == "healthz"


# -- compose: every command exists in the project ---------------------------------------------
def check_gunicorn(args: list[str]) -> None:
    app = next(a for a in args if ":" in a and not a.startswith("-"))
    module_name, _, attribute = app.partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute)), app
    for flag in ("-c", "--config"):
        if flag in args:
            assert (ROOT / args[args.index(flag) + 1]).is_file()


def check_celery(args: list[str]) -> None:
    from celery import Celery
    from celery.app.utils import find_app

    app_name = args[args.index("-A") + 1]
    assert isinstance(find_app(app_name), Celery), app_name
    assert args[args.index("-A") + 2] in ("worker", "beat")


def check_manage_py(args: list[str]) -> None:
    from django.core.management import get_commands

    assert args[0] == "manage.py" and (ROOT / "manage.py").is_file()
    assert args[1] in get_commands(), f"manage.py has no command {args[1]!r}"


CHECKERS = {"gunicorn": check_gunicorn, "celery": check_celery, "python": check_manage_py}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_commands_exist(name):
    program, *args = command_of(services()[name])
    assert program in CHECKERS, f"{name}: no check for program {program!r}; add one"
    assert (Path(sys.executable).parent / program).exists() or program == "python"
    CHECKERS[program](args)


def test_the_image_default_command_is_the_web_command():
    cmd = next(args for instruction, args in dockerfile_instructions() if instruction == "CMD")
    assert yaml.safe_load(cmd) == command_of(services()["web"])


# -- environment ------------------------------------------------------------------------------
def test_required_variables_are_set_in_env_example():
    documented = env_example()
    for name in REQUIRED_ENV:
        assert documented.get(name), f"{name} must be set (uncommented) in .env.example"


def test_every_variable_compose_passes_is_read_or_documented():
    documented = env_example()
    known = settings_env_vars() | set(documented)
    passed = set(interpolated_vars())
    for service in services().values():
        environment = service.get("environment", {})
        passed |= set(
            environment
            if isinstance(environment, dict)
            else (e.partition("=")[0] for e in environment)
        )
        if "env_file" in service:
            passed |= {var for var, is_set in documented.items() if is_set}
    unknown = sorted(passed - known)
    assert not unknown, f"passed by docker-compose.yml but read nowhere nor documented: {unknown}"


def test_every_documented_variable_is_read_somewhere():
    """No stale entries: each variable in .env.example is read by the settings, the gunicorn
    config and worker, Django itself or the compose file."""
    readers = (
        settings_env_vars()
        | env_vars_read_by([GUNICORN_CONF, ROOT / "saas_platform" / "web_worker.py"])
        | interpolated_vars()
        | READ_BY_DJANGO
    )
    stale = sorted(set(env_example()) - readers)
    assert not stale, f".env.example documents variables nothing reads: {stale}"


def test_settings_modules_named_by_the_deploy_files_exist():
    named = {
        line.partition("=")[2].strip()
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.startswith("DJANGO_SETTINGS_MODULE=")
    }
    named |= set(re.findall(r"DJANGO_SETTINGS_MODULE=([\w.]+)", DOCKERFILE.read_text()))
    assert named
    for module in named:
        assert importlib.util.find_spec(module) is not None, module


def test_production_settings_pass_the_deploy_security_checks():
    """``manage.py check --deploy`` with the production settings and the secrets they demand:
    no security warning. (Servers named in the URLs are never contacted.)"""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "saas_platform.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": "postgres://unused@127.0.0.1:9/unused",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "BASE_DOMAIN": "example.com",
    }
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "DEBUG"):
        env.pop(name, None)  # the defaults are what is checked
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--tag",
            "security",
            "--fail-level",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# -- Dockerfile -------------------------------------------------------------------------------
def test_dockerfile_builds_a_production_image():
    instructions = dockerfile_instructions()
    # The base is a build argument (`make test-deploy` passes a locally built stand-in);
    # without one, every stage starts from the official image.
    defaults = dict(
        args.partition("=")[::2] for instruction, args in instructions if instruction == "ARG"
    )
    froms = [args.split()[0] for instruction, args in instructions if instruction == "FROM"]
    bases = [re.sub(r"\$\{(\w+)\}", lambda m: defaults[m[1]], f) for f in froms]
    assert bases and all(base == "python:3.11-slim" for base in bases)
    runs = " ".join(args for instruction, args in instructions if instruction == "RUN")
    assert "uv sync --frozen --no-dev" in runs
    assert "collectstatic --noinput" in runs
    users = [args for instruction, args in instructions if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"


def dockerignore_patterns() -> list[str]:
    return [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def is_dockerignored(path: str) -> bool:
    """Enough of Docker's matching for this repository: last matching pattern wins, ``!``
    re-includes, a pattern also covers everything below a matched directory."""
    ignored = False
    for pattern in dockerignore_patterns():
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        candidates = [*prefixes, *(p.split("/")[-1] for p in prefixes)]
        if any(fnmatch.fnmatchcase(c, pattern.removeprefix("**/")) for c in candidates):
            ignored = not negate
    return ignored


def test_every_file_the_dockerfile_copies_exists_and_is_in_the_build_context():
    copies = [args for instruction, args in dockerfile_instructions() if instruction == "COPY"]
    assert copies
    for args in copies:
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        if "--from=" in args:
            continue  # from another build stage, not the context
        *sources, _destination = words
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
            assert not is_dockerignored(source.rstrip("/")), f"COPY {source} is .dockerignored"


def test_dockerignore_keeps_local_state_and_secrets_out():
    for path in (".env", ".data/pg/postmaster.pid", ".venv/bin/python", ".git/config"):
        assert is_dockerignored(path), path
    assert not is_dockerignored(".env.example")


# -- gunicorn config --------------------------------------------------------------------------
def test_gunicorn_config_sets_only_real_gunicorn_settings():
    from gunicorn.config import KNOWN_SETTINGS

    namespace: dict = {}
    exec(compile(GUNICORN_CONF.read_text(), str(GUNICORN_CONF), "exec"), namespace)  # noqa: S102
    names = {s.name for s in KNOWN_SETTINGS}
    ours = {
        k
        for k, v in namespace.items()
        if not k.startswith("_") and not callable(v) and type(v).__name__ != "module"
    }
    assert ours <= names, f"not gunicorn settings (typos?): {sorted(ours - names)}"
    # Threads by default: a slow client holds a thread, not the whole worker (deploy/README.md);
    # the worker is gthread's, sharing requests fairly between processes (web_worker.py).
    from gunicorn.util import load_class
    from gunicorn.workers.gthread import ThreadWorker

    assert issubclass(load_class(namespace["worker_class"]), ThreadWorker)
    assert namespace["threads"] > 1
    assert namespace["workers"] >= 1


# -- the copy `make test-deploy` boots (devtools/deploy.py) -----------------------------------
def test_the_stack_checks_compose_copy_changes_only_what_it_must(tmp_path):
    """docker-compose 1.29 and podman get a patched copy; it must still be the shipped stack:
    same services, commands, dependencies, volumes, ports and (equivalent) healthchecks, with
    only the images, paths and the unsupported top-level `name:` changed."""
    from devtools import deploy

    images = {name: f"localhost/stand-in/{name}:x" for name in deploy.STANDINS}
    deploy.compose_copy(tmp_path, images, 18000)
    copy = yaml.safe_load((tmp_path / "docker-compose.yml").read_text())
    shipped = compose()
    assert "name" not in copy
    assert copy["volumes"] == shipped["volumes"]
    assert set(copy["services"]) == set(shipped["services"])
    stand_ins = {official: images[standin]
                 for standin, (official, _, _) in deploy.STANDINS.items()}
    for name, original in shipped["services"].items():
        patched = copy["services"][name]
        for key in ("command", "depends_on", "ports", "environment", "restart"):
            assert patched.get(key) == original.get(key), (name, key)
        # The repository's files are mounted by absolute path (the copy lives elsewhere).
        assert patched.get("volumes") == [
            str(ROOT / v[2:]) if v.startswith("./") else v
            for v in original.get("volumes", [])] or patched.get("volumes") is None, name
        if "healthcheck" in original:
            test, ours = original["healthcheck"]["test"], patched["healthcheck"]["test"]
            assert ours == test or (ours[0] == "CMD-SHELL" and test[0] == "CMD"
                                    and shlex.split(ours[1]) == test[1:]), name
            rest = {k: v for k, v in original["healthcheck"].items() if k != "test"}
            assert {k: v for k, v in patched["healthcheck"].items() if k != "test"} == rest
        if "build" in original:
            assert patched["image"] == deploy.APP_IMAGE
        elif "profiles" in original:
            assert patched["image"] == original["image"]  # not booted by the check
        else:
            assert patched["image"] == stand_ins[original["image"]], name
    env = (tmp_path / ".env").read_text()
    assert "DJANGO_SETTINGS_MODULE=saas_platform.settings.production" in env
    assert re.search(r"^SECRET_KEY=\S{50,}$", env, re.MULTILINE)
