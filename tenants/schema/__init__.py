"""Tenant schemas: naming, creating, copying, migrating and dropping them.

The modules, each importing only those above it in this list (no cycles):

``names``     ``quote()``: the one gate a schema name passes before it reaches SQL text.
``migrate``   ``schema_migrate()`` and ``schema_create_by_migrations()``: Django's migrations.
``template``  the always-migrated ``tenant_template`` schema: ``template_ensure()`` and
              ``template_require_current()``, which refuses a template behind the code.
``replay``    the default copy: the template's catalog replayed as DDL (``replay_sql``).
``clone``     django-tenants' ``clone_schema()``, the fallback copy.
``create``    ``schema_create()`` (by ``TENANT_SCHEMA_METHOD``) and ``schema_drop()``.

This package imports nothing itself: import the module you need.
"""
