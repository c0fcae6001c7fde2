"""``manage.py starttenantapp NAME``: a new tenant app in the house style, with its tests.

Built on Django's ``startapp`` machinery (``TemplateCommand``) with the templates under
``tenant_apps/core/app_template/``: ``tenant_apps/app_name/`` and ``tests/app_name/``, whose
``*.py-tpl`` files are rendered with the names below and whose HTML page is copied as it is. The
files are rendered into a scratch directory first and moved into place only when all of them
were written, so a refusal or a failure never leaves half an app behind.

What is left to do by hand is one line: ``"tenant_apps.NAME"`` in ``TENANT_APPS``. URLs,
navigation, demo data, beat and the isolation suite all come from the app's contract.
"""

from __future__ import annotations

import keyword
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.core.management.templates import TemplateCommand

from tenant_apps.core.contract import tenant_app_contracts

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "app_template"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PREFIX = re.compile(r"^[a-z][a-z0-9-]*$")
ENTITY = re.compile(r"^[A-Z][A-Za-z0-9]*$")
# Paths of a tenant host that belong to no app (saas_platform/urls_tenant.py) or to static files.
RESERVED_PREFIXES = frozenset({"api", "accounts", "profile", "invitations", "login", "logout",
                               "healthz", "static"})
# Names the generated modules import or define: the entity (and its classes) must not shadow them.
TAKEN_ENTITY_NAMES = frozenset({
    "Any", "AppConfig", "BooleanFilter", "DjangoModelFactory", "HttpRequest", "HttpResponse",
    "InvalidInput", "NavEntry", "Paginator", "QuerySet", "Role", "ServiceModelViewSet",
    "SimpleRouter", "StrictFieldsMixin", "StrictFilterSet", "TenantAppContract", "TenantClient",
    "UniqueValidator",
})
# Argument names of the generated services (``<entity>_update(*, <entity>, data)``).
TAKEN_ENTITY_SNAKES = frozenset({"data", "fields", "instance"})


def singular(word: str) -> str:
    """English singular of a plural word, good enough for a default (``--entity`` overrides)."""
    if word.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 1:
        return word[:-1]
    return word


def plural(word: str) -> str:
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def snake(camel: str) -> str:
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", camel)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words).lower()


@dataclass(frozen=True)
class AppNames:
    """Everything the templates substitute (besides Django's own ``app_name`` and
    ``camel_case_app_name``)."""

    prefix: str  # URL segment: /api/v1/<prefix>/ and /<prefix>/
    app_title: str  # "Work orders"
    entity: str  # "WorkOrder": the model
    entity_snake: str  # "work_order": services' and selectors' names
    entity_upper: str  # "WORK_ORDER": module constants
    entity_plural_snake: str  # "work_orders": the usage counter
    entity_route: str  # "work-orders": /api/v1/<prefix>/<route>
    entity_url_name: str  # "work-order": the route's URL names
    entity_verbose: str  # "work order"
    entity_verbose_plural: str  # "work orders"
    a_entity: str  # "a work order"
    app_first: bool  # the app's imports sort before tenant_apps.core's


def app_names(name: str, *, prefix: str | None = None, entity: str | None = None) -> AppNames:
    """The names a tenant app called ``name`` gets, or a one-line CommandError."""
    if not NAME.match(name) or keyword.iskeyword(name) or name.endswith("_"):
        raise CommandError(f"{name!r} is not a valid tenant app name: use a lowercase Python "
                           "identifier such as 'assets' or 'work_orders'.")
    prefix = name.replace("_", "-") if prefix is None else prefix
    if not PREFIX.match(prefix):
        raise CommandError(f"--prefix {prefix!r} is not a URL segment: use lowercase letters, "
                           "digits and - (starting with a letter).")
    if entity is None:
        words = name.split("_")
        entity = "".join(w.capitalize() for w in [*words[:-1], singular(words[-1])])
    if not ENTITY.match(entity):
        raise CommandError(f"--entity {entity!r} is not a model name: use CamelCase letters and "
                           "digits such as 'Asset'.")
    entity_snake = snake(entity)
    if (entity in TAKEN_ENTITY_NAMES or entity_snake in TAKEN_ENTITY_SNAKES
            or any(f"{entity}{suffix}" in TAKEN_ENTITY_NAMES
                   for suffix in ("Filter", "Serializer", "ViewSet", "Factory"))):
        raise CommandError(f"--entity {entity!r} would shadow a name the generated code uses; "
                           "choose another.")
    if name == singular(name) or singular(name) != entity_snake:
        plural_snake = plural(entity_snake)
    else:
        plural_snake = name  # the user's own plural ("assets" for Asset)
    verbose = entity_snake.replace("_", " ")
    return AppNames(
        prefix=prefix,
        app_title=name.replace("_", " ").capitalize(),
        entity=entity,
        entity_snake=entity_snake,
        entity_upper=entity_snake.upper(),
        entity_plural_snake=plural_snake,
        entity_route=plural_snake.replace("_", "-"),
        entity_url_name=entity_snake.replace("_", "-"),
        entity_verbose=verbose,
        entity_verbose_plural=plural_snake.replace("_", " "),
        a_entity=("an " if verbose[0] in "aeiou" else "a ") + verbose,
        app_first=f"tenant_apps.{name}" < "tenant_apps.core",
    )


class Command(TemplateCommand):
    help = ("Create a tenant app in tenant_apps/NAME/ (model, migration, services, selectors, "
            "API, page, demo data, contract) and its tests in tests/NAME/.")
    missing_args_message = "Give the app's name, such as: manage.py starttenantapp assets"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The app's name: a lowercase identifier (assets).")
        parser.add_argument("--prefix", help="URL segment (default: NAME with _ as -).")
        parser.add_argument("--entity",
                            help="The model's name (default: NAME in the singular, CamelCase).")

    def handle(self, *args, name: str, prefix: str | None = None, entity: str | None = None,
               **options) -> None:
        names = app_names(name, prefix=prefix, entity=entity)
        root = Path(settings.BASE_DIR)
        self.refuse_clashes(name, names.prefix, root)
        with tempfile.TemporaryDirectory(prefix="starttenantapp-") as scratch:
            super().handle("app", name, scratch, template=str(TEMPLATE_DIR), extensions=["py"],
                           files=[], verbosity=0, **asdict(names))
            written = sorted(str(p.relative_to(scratch)) for p in Path(scratch).rglob("*")
                             if p.is_file())
            for top in ("tenant_apps", "tests"):
                shutil.move(Path(scratch, top, name), root / top / name)
        if options.get("verbosity", 1) >= 1:
            self.stdout.write("\n".join([
                f"Created the tenant app {name!r} ({len(written)} files):",
                *(f"  {path}" for path in written),
                "One edit is left: add",
                f'    "tenant_apps.{name}",',
                "to TENANT_APPS in saas_platform/settings/base.py, then run",
                "    .venv/bin/python manage.py migrate_all",
                f"Its API is then at /api/v1/{names.prefix}/{names.entity_route}, its page at "
                f"/{names.prefix}/; its tests: pytest tests/{name}",
            ]))

    def validate_name(self, name, name_or_dir="name") -> None:
        """Django's check refuses any name Python can import (``calendar``, ``email``); a
        tenant app lives in ``tenant_apps.`` and is checked by :meth:`refuse_clashes`."""

    def refuse_clashes(self, name: str, prefix: str, root: Path) -> None:
        for path in (root / "tenant_apps" / name, root / "tests" / name):
            if path.exists():
                raise CommandError(f"{path.relative_to(root)} already exists: choose another "
                                   "name.")
        installed = {config.label: config.name for config in apps.get_app_configs()}
        if name in installed:
            raise CommandError(f"{name!r} is the label of the installed app "
                               f"{installed[name]}: choose another name.")
        if (root / name).exists():
            raise CommandError(f"{name!r} is the name of the project's {name}/: choose another "
                               "name.")
        for contract in tenant_app_contracts():
            if contract.prefix == prefix:
                raise CommandError(f"The URL prefix {prefix!r} is taken by the {contract.label} "
                                   "app: pass --prefix.")
        if prefix in RESERVED_PREFIXES | {settings.STATIC_URL.strip("/").split("/")[0]}:
            raise CommandError(f"The URL prefix {prefix!r} is a path of the platform: pass "
                               "--prefix.")
