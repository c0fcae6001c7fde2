"""Schema-aware cascading deletes.

``accounts.User`` exists in ``public`` and in every tenant schema, and models of both sides point
at it (tenant apps: API keys, jobs, movements...; shared apps: the admin log). Django's deletion
collector follows every reverse relation it knows, whichever schema the connection is in:

* deleting an operator in ``public`` would query tenant-only tables that do not exist there (500);
* deleting a tenant user would follow the admin log's foreign key into ``django_admin_log``,
  which exists in ``public`` only: a tenant's ``search_path`` is its own schema alone
  (tenants/postgresql_backend), so that query fails (500). (With django-tenants' default path,
  which ends with ``public``, it used to delete the public admin-log rows of the operator who
  happened to have the same id.)

So the collector only follows relations whose model has a table in the current schema.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db import connection
from django.db.models import deletion

_original = deletion.get_candidate_relations_to_delete


def _tables_here(app_name: str) -> bool:
    if connection.schema_name == settings.PUBLIC_SCHEMA_NAME:
        return app_name in settings.SHARED_APPS
    return app_name in settings.TENANT_APPS


def schema_aware_candidate_relations(opts) -> Iterator:
    for relation in _original(opts):
        if _tables_here(relation.related_model._meta.app_config.name):
            yield relation


def install() -> None:
    deletion.get_candidate_relations_to_delete = schema_aware_candidate_relations
