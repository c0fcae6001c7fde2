"""Isolation visible in structure: code inside a tenant app never chooses its schema.

A tenant app runs inside the schema the host router (or the Celery task's tenant) selected. It
must not switch schema (``schema_context``, ``tenant_context``, ``connection.set_*``), set
``search_path`` itself, name a schema in SQL (``public.table``), or look up the tenant registry
(``apps.get_model("tenants", ...)``). Imports of ``tenants``/``django_tenants`` are refused by
import-linter (pyproject.toml); this AST check catches what an import check cannot see.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TENANT_APPS = ROOT / "tenant_apps"

SCHEMA_SWITCHES = {"schema_context", "tenant_context", "set_schema", "set_schema_to_public",
                   "set_tenant", "set_search_path"}
QUALIFIED_SQL = re.compile(r"\b(public|t_[a-z0-9_]+|tenant_template)\s*\.\s*\"?[a-z_]",
                           re.IGNORECASE)
SQL_WORDS = re.compile(r"\b(select|insert|update|delete|from|join|into)\b", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def violations(source: str, filename: str = "<src>") -> list[str]:
    tree = ast.parse(source, filename)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in SCHEMA_SWITCHES:
                found.append(f"{where}: {name}() switches schema inside a tenant app")
            if (name == "get_model" and node.args and isinstance(node.args[0], ast.Constant)
                    and str(node.args[0].value).split(".")[0] == "tenants"):
                found.append(f"{where}: the tenant registry is not for tenant apps")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docstrings):
            text = node.value
            if "search_path" in text.lower():
                found.append(f"{where}: sets search_path inside a tenant app")
            elif SQL_WORDS.search(text) and QUALIFIED_SQL.search(text):
                found.append(f"{where}: SQL names a schema; tables are found through the "
                             "tenant's search_path")
    return found


# Reviewed exceptions, each with its reason.
ALLOWED = {
    # The audit logs' append-only trigger function is created once, in public, for the
    # platform's log and every tenant's (docs/audit.md); the trigger names it qualified so that
    # a tenant's search_path (its schema only) still finds it.
    "tenant_apps/core/audit_immutability.py",
}


def _tenant_app_sources() -> list[Path]:
    return sorted(p for p in TENANT_APPS.rglob("*.py") if "migrations" not in p.parts
                  and str(p.relative_to(ROOT)) not in ALLOWED)


def test_no_tenant_app_chooses_its_schema():
    problems = [v for path in _tenant_app_sources()
                for v in violations(path.read_text(), str(path.relative_to(ROOT)))]
    assert problems == []


@pytest.mark.parametrize("snippet", [
    "from django_tenants.utils import schema_context\nwith schema_context('t_x'):\n    pass\n",
    "from django.db import connection\nconnection.set_schema('t_other')\n",
    "from django.db import connection\nconnection.set_tenant(tenant)\n",
    "cursor.execute('SET search_path TO t_other')\n",
    "cursor.execute('SELECT * FROM public.tenants_tenant')\n",
    "cursor.execute('select count(*) from t_globex.inventory_product')\n",
    "from django.apps import apps\napps.get_model('tenants', 'Tenant')\n",
])
def test_the_check_refuses_each_way_of_leaving_the_tenant(snippet):
    assert violations(snippet)


def test_the_check_allows_ordinary_tenant_code():
    ok = ('"""Docstrings may mention search_path."""\n'
          "Product.objects.filter(name='public.holiday')\n"
          "cursor.execute('SELECT id FROM inventory_product WHERE sku = %s', [sku])\n")
    assert violations(ok) == []
