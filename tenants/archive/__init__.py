"""Retiring tenants to an archive file and bringing them back.

``format``    the file: a gzipped tar, ``manifest.json`` first, one CSV per table (no database);
``pgcopy``    the schema's side: COPY out and in, sequences, a schema at a migration state;
``services``  the lifecycle: ``tenant_archive``, ``tenant_restore``, ``archive_check``,
              ``recorded_archive``.

Nothing is imported here: import the module you need (``format`` needs no database).
"""
