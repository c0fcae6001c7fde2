"""The database backend (``DATABASES["default"]["ENGINE"] = "tenants.postgresql_backend"``):
django-tenants' backend with a tenant's ``search_path`` set to the tenant's schema **only**.

django-tenants appends ``public`` to every tenant's ``search_path`` unless a caller passes
``include_public=False`` to ``set_tenant`` / ``set_schema`` -- and ``schema_context``,
``tenant_context``, tenant-schemas-celery and django-tenants' own migrations pass True. With
``public`` on the path, a tenant-side query of a table that exists only in ``public`` (the
tenant registry, the operators' admin log) silently reads or deletes shared rows. Without it,
such a query fails loudly: ``relation "tenants_tenant" does not exist``.

``set_tenant`` is the one method every switch goes through (``set_schema`` and
``set_schema_to_public`` call it), so overriding it covers every caller. ``public`` itself
keeps ``search_path = public``. Nothing of the platform lives in ``public`` for tenants to use:
no extension, function or type (an extension added later would go in a schema of its own,
listed in ``PG_EXTRA_SEARCH_PATHS``, which django-tenants appends to every path).

**Bounded backend memory.** A PostgreSQL backend caches the catalog entries (relations,
indexes, plans) of every schema it has touched, about 0.5 MB per tenant schema, for the life of
the connection: a persistent web connection that serves thousands of tenants would grow to
gigabytes. The wrapper counts the distinct tenant schemas a connection was pointed at, and once
they exceed ``TENANT_CONNECTION_MAX_SCHEMAS`` it reports itself obsolete, so Django's
``close_if_unusable_or_obsolete`` (run at the start and end of every request) closes it and the
next request opens a fresh backend. ``CONN_MAX_AGE`` still applies on top.
"""

from functools import partial

from django.conf import settings
from django.db import IntegrityError, InternalError
from django.db.backends.postgresql.creation import DatabaseCreation
from django.db.backends.postgresql.schema import DatabaseSchemaEditor
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantsDatabaseWrapper

from tenants.postgresql_backend import citus


class DatabaseWrapper(TenantsDatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant_schemas_served: set[str] = set()
        self._citus_setup()

    def set_tenant(self, tenant, include_public: bool = True) -> None:
        super().set_tenant(tenant, include_public=False)
        if self.schema_name != settings.PUBLIC_SCHEMA_NAME:
            self.tenant_schemas_served.add(self.schema_name)

    def connect(self) -> None:
        super().connect()
        # A new backend: only the schema it is about to use counts.
        self.tenant_schemas_served = (
            set() if self.schema_name == settings.PUBLIC_SCHEMA_NAME else {self.schema_name})

    def close_if_unusable_or_obsolete(self) -> None:
        if (self.connection is not None and not self.in_atomic_block
                and len(self.tenant_schemas_served) > settings.TENANT_CONNECTION_MAX_SCHEMAS):
            self.close()
            return
        super().close_if_unusable_or_obsolete()

    # -- Citus (TENANT_DISTRIBUTION=citus): tenants/postgresql_backend/citus.py says why ----------
    def _citus_setup(self) -> None:
        self.citus_warnings: list[str] = []
        if citus_enabled():
            self.ops.sequence_reset_sql = partial(citus.sequence_reset_sql, self.ops)
            self.creation = CitusDatabaseCreation(self)
            self.SchemaEditorClass = CitusSchemaEditor

    def check_constraints(self, table_names=None) -> None:
        super().check_constraints(table_names)
        if citus_enabled():
            citus.check_tenant_constraints(self, table_names)

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        if citus_enabled():
            # A worker's reason for refusing a COMMIT arrives as a WARNING before the error.
            self.citus_warnings = []
            conn.add_notice_handler(self._citus_notice)
        return conn

    def _citus_notice(self, diagnostic) -> None:
        if diagnostic.severity_nonlocalized == "WARNING":
            self.citus_warnings = [*self.citus_warnings[-9:], diagnostic.message_primary or ""]

    def _commit(self):
        if not citus_enabled():
            return super()._commit()
        self.citus_warnings = []
        try:
            return super()._commit()
        except InternalError as exc:
            cause = citus.integrity_cause(str(exc), self.citus_warnings)
            if cause:
                raise IntegrityError(cause) from exc
            raise


def citus_enabled() -> bool:
    return getattr(settings, "TENANT_DISTRIBUTION", "none") == "citus"


class CitusSchemaEditor(citus.ColumnConstraintsNamed, DatabaseSchemaEditor):
    pass


class CitusDatabaseCreation(DatabaseCreation):
    def _execute_create_test_db(self, cursor, parameters, keepdb=False):
        super()._execute_create_test_db(cursor, parameters, keepdb)
        citus.create_test_database_on_workers(self.connection.settings_dict,
                                              self._get_test_db_name())

    def _destroy_test_db(self, test_database_name, verbosity):
        # FORCE: Citus's maintenance daemon keeps a session in every database that has the
        # extension, and plain DROP DATABASE refuses while it is there.
        workers = citus.worker_nodes(self.connection.settings_dict)  # read before the drop
        with self._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE {self.connection.ops.quote_name(test_database_name)}"
                           " WITH (FORCE)")
        citus.destroy_test_database_on_workers(self.connection.settings_dict, test_database_name,
                                               workers)
