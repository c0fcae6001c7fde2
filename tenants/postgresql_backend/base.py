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
"""

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantsDatabaseWrapper


class DatabaseWrapper(TenantsDatabaseWrapper):
    def set_tenant(self, tenant, include_public: bool = True) -> None:
        super().set_tenant(tenant, include_public=False)
