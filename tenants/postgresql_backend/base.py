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

from django.conf import settings
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantsDatabaseWrapper


class DatabaseWrapper(TenantsDatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant_schemas_served: set[str] = set()

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
