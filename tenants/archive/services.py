"""Retiring a tenant: its data exported to one archive file, then its schema dropped (state
``archived``); and bringing an archive back.

The archive is a gzipped tar holding first ``manifest.json`` (format, tenant, domains, the schema's
applied migrations, and per table its columns, row count and SHA-256) and one CSV file per table
(``tables/<table>.csv``, PostgreSQL's CSV, header first, so NULL and the empty string stay
distinct). It is plain enough for a customer asking for their data, and complete enough to
restore: the registry row and the domains stay, so the slug and the addresses stay reserved.

Archiving is all-or-nothing. The tenant is suspended first (committed, so web processes stop
serving it within the routing check interval); then one transaction locks every table of the
schema against writes, exports it, reads the file back and checks it, moves it to its final
name, drops the schema and marks the tenant archived. Any failure rolls all of that back and
removes the file: the tenant is left suspended with its data, and the error says why.

Restoring recreates the schema at the migration state the archive was made at (by replaying the
template when that is the current state, by running the migrations up to it otherwise), loads
the rows in one transaction, resets the sequences, then migrates forward. The tenant comes back
``suspended``, for the operator to check and activate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from saas_platform.errors import Conflict, InvalidInput, NotFound
from tenants.models import Domain, Tenant, TenantState
from tenants.schema import create as schemas
from tenants.schema.migrate import schema_migrate
from tenants.schema.names import quote
from tenants.schema.template import template_ensure
from tenants.selectors import tenant_get
from tenants.services import tenant_suspend
from tenants.slugs import schema_name_for_slug

ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
_CHUNK = 1 << 20

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    sha256: str
    tables: int
    rows: int


# Identifiers reaching SQL text below come from the catalog or a validated schema name, always
# through quote_name (hence the S608 exemptions).

# -- reading the schema -----------------------------------------------------------------------
def _tables(schema: str) -> dict[str, list[str]]:
    """Every table of ``schema`` with its columns in order, generated columns left out (they
    are computed again on load)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, a.attname
                 FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_attribute a ON a.attrelid = c.oid
                WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
                  AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                ORDER BY c.relname, a.attnum""", [schema])
        tables: dict[str, list[str]] = {}
        for table, column in cursor.fetchall():
            tables.setdefault(table, []).append(column)
    return tables


def _applied_migrations(schema: str) -> list[list[str]]:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {q(schema)}.django_migrations ORDER BY id")  # noqa: S608
        return [[app, name] for app, name in cursor.fetchall()]


def _qualified(schema: str, table: str, columns: list[str]) -> str:
    q = connection.ops.quote_name
    return f"{q(schema)}.{q(table)} ({', '.join(q(c) for c in columns)})"


# -- archiving --------------------------------------------------------------------------------
def archive_check(*, slug: str) -> Tenant:
    """The tenant, if it can be archived now (for callers that queue the work)."""
    tenant = tenant_get(slug=slug)
    if tenant.state not in (TenantState.ACTIVE, TenantState.SUSPENDED):
        raise Conflict(f"Tenant '{slug}' is {tenant.state}; only an active or suspended tenant "
                       "can be archived.", code="invalid_state")
    if not schema_exists(tenant.schema_name):
        raise Conflict(f"Tenant '{slug}' has no schema {tenant.schema_name}: nothing to archive.",
                       code="schema_missing")
    return tenant


def recorded_archive(*, slug: str) -> Path:
    """The archive file an archived tenant was written to, if it is still there."""
    tenant = tenant_get(slug=slug)
    if tenant.state != TenantState.ARCHIVED or not tenant.archive_file:
        raise Conflict(f"Tenant '{slug}' is {tenant.state}; only an archived tenant can be "
                       "restored.", code="invalid_state")
    path = Path(settings.TENANT_ARCHIVE_DIR) / tenant.archive_file
    if not path.is_file():
        raise NotFound(f"The archive of '{slug}' ({path}) is missing; restore from a copy with "
                       "manage.py tenant restore FILE.", code="archive_missing")
    return path


def tenant_archive(*, slug: str, directory: Path | str | None = None,
                   progress: Progress | None = None) -> ArchiveInfo:
    """Export the tenant's schema to ``directory`` (default ``TENANT_ARCHIVE_DIR``), then drop
    it. Returns the archive's path and checksum."""
    say = progress or (lambda _message: None)
    tenant = archive_check(slug=slug)
    target_dir = Path(directory or settings.TENANT_ARCHIVE_DIR)
    try:
        # A whole customer's data: readable by the platform's own user only.
        target_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        writable = os.access(target_dir, os.W_OK)
    except OSError as exc:
        writable = False
        reason = exc.strerror or str(exc)
    else:
        reason = "Not writable."
    if not writable:
        raise InvalidInput(f"Cannot write archives to {target_dir}: {reason}",
                           code="archive_dir_unwritable", fields={"directory": [reason]})
    if tenant.state == TenantState.ACTIVE:
        tenant = tenant_suspend(slug=slug)  # its own commit: web processes stop serving it
        say("suspended")

    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    final = target_dir / f"{slug}-{stamp}.tar.gz"
    partial = target_dir / f".{final.name}.partial"
    try:
        with transaction.atomic():
            tables = _tables(tenant.schema_name)
            _lock_against_writes(tenant.schema_name, tables)
            say(f"exporting {len(tables)} tables")
            manifest = _write_archive(partial, tenant, tables)
            sha256 = _verify_archive(partial, expected=manifest)
            say("archive verified")
            partial.replace(final)
            # Foreign-key checks still pending in this transaction (rows written earlier in it,
            # as in tests) would block the DROP; run them now.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            schemas.schema_drop(tenant.schema_name)
            tenant.state = TenantState.ARCHIVED
            tenant.archived_at = timezone.now()
            tenant.archive_file = final.name
            tenant.archive_sha256 = sha256
            tenant.save(update_fields=["state", "archived_at", "archive_file", "archive_sha256",
                                       "updated_at"])
    except BaseException:
        partial.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise
    finally:
        connection.set_schema_to_public()
    say(f"schema {tenant.schema_name} dropped")
    return ArchiveInfo(path=final, sha256=sha256, tables=len(tables),
                       rows=sum(t["rows"] for t in manifest["tables"]))


def _lock_against_writes(schema: str, tables: dict[str, list[str]]) -> None:
    """Readers go on; a writer (a request that slipped in before the suspension took effect, a
    Celery task) waits, then fails on the dropped schema instead of writing a row the archive
    would miss."""
    if not tables:
        return
    q = connection.ops.quote_name
    names = ", ".join(f"{q(schema)}.{q(table)}" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")


def _write_archive(path: Path, tenant: Tenant, tables: dict[str, list[str]]) -> dict:
    manifest: dict = {
        "format": ARCHIVE_FORMAT,
        "tenant": {"slug": tenant.slug, "name": tenant.name, "schema_name": tenant.schema_name,
                   "created_at": tenant.created_at.isoformat()},
        "domains": [{"domain": d.domain, "is_primary": d.is_primary}
                    for d in Domain.objects.filter(tenant=tenant).order_by("domain")],
        "archived_at": timezone.now().isoformat(),
        "migrations": _applied_migrations(tenant.schema_name),
        "tables": [],
    }
    with tempfile.TemporaryDirectory() as scratch:
        # Tables first to scratch files: the manifest (with their checksums and row counts)
        # must come first in the archive, so that a reader can stream it in one pass.
        for table, columns in sorted(tables.items()):
            digest = hashlib.sha256()
            with (Path(scratch) / f"{table}.csv").open("wb") as out, \
                    connection.cursor() as cursor, cursor.copy(
                        f"COPY {_qualified(tenant.schema_name, table, columns)} TO STDOUT "
                        "WITH (FORMAT csv, HEADER true)") as copy:
                for chunk in copy:
                    data = bytes(chunk)
                    digest.update(data)
                    out.write(data)
                # Set by the end of the COPY (and reset when the cursor closes): no count(*)
                # pass over the table.
                rows = cursor.rowcount
            manifest["tables"].append({"name": table, "columns": columns, "rows": rows,
                                       "sha256": digest.hexdigest()})
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(data), int(dt.datetime.now().timestamp())
                tar.addfile(info, io.BytesIO(data))
                for table in manifest["tables"]:
                    tar.add(Path(scratch) / f"{table['name']}.csv",
                            arcname=f"tables/{table['name']}.csv")
            raw.flush()
            os.fsync(raw.fileno())
    return manifest


def _verify_archive(path: Path, *, expected: dict) -> str:
    """Read the file back as a restore would; returns the whole file's SHA-256."""
    with _open_archive(path) as (tar, manifest):
        if manifest != json.loads(json.dumps(expected)):
            raise RuntimeError(f"{path}: the manifest read back differs from the one written")
        for _table, chunks in _table_streams(path, tar, manifest):
            for _chunk in chunks:
                pass
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- reading an archive -----------------------------------------------------------------------
# An archive is read as a stream, in one pass: the manifest first, then the tables in the
# manifest's order.
def _bad(path: Path, message: str) -> InvalidInput:
    return InvalidInput(f"{path.name}: {message}", code="invalid_archive",
                        fields={"archive": [message]})


_UNREADABLE = (OSError, tarfile.TarError, EOFError, zlib.error)


@contextmanager
def _open_archive(path: Path) -> Iterator[tuple[tarfile.TarFile, dict]]:
    """The open archive and its manifest; InvalidInput for anything that is not an archive of
    this format."""
    try:
        tar = tarfile.open(path, "r|gz")  # noqa: SIM115 (closed by the `with tar` below)
    except _UNREADABLE as exc:
        raise _bad(path, f"unreadable ({exc}).") from exc
    with tar:
        try:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise _bad(path, "no manifest.json first: not a tenant archive.")
            manifest = json.load(tar.extractfile(first))
        except (*_UNREADABLE, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _bad(path, f"unreadable ({exc}).") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
            raise _bad(path, f"not a tenant archive of format {ARCHIVE_FORMAT}.")
        try:
            names = [table["name"] for table in manifest["tables"]]
            if not all(isinstance(n, str) for n in names) or not isinstance(
                    manifest["tenant"]["slug"], str) or not isinstance(
                    manifest["migrations"], list):
                raise TypeError("tables, tenant.slug or migrations")
        except (KeyError, TypeError) as exc:
            raise _bad(path, f"malformed manifest ({exc}).") from exc
        yield tar, manifest


def read_manifest(path: Path | str) -> dict:
    """The archive's manifest, read without decompressing the tables."""
    with _open_archive(Path(path)) as (_tar, manifest):
        return manifest


def _table_streams(path: Path, tar: tarfile.TarFile,
                   manifest: dict) -> Iterator[tuple[dict, Iterator[bytes]]]:
    """Each table of the manifest with its CSV in chunks, in order. A chunk iterator must be
    used up before the next table: after its last chunk it raises when the checksum differs
    from the manifest's (so a loader must be inside a transaction it can roll back)."""
    for table in manifest["tables"]:
        try:
            member = tar.next()
        except _UNREADABLE as exc:
            raise _bad(path, f"unreadable ({exc}).") from exc
        if member is None or member.name != f"tables/{table['name']}.csv":
            raise _bad(path, f"table {table['name']} is listed but missing.")
        file = tar.extractfile(member)

        def chunks(file=file, table=table) -> Iterator[bytes]:
            digest = hashlib.sha256()
            try:
                for chunk in iter(lambda: file.read(_CHUNK), b""):
                    digest.update(chunk)
                    yield chunk
            except _UNREADABLE as exc:
                raise _bad(path, f"unreadable ({exc}).") from exc
            if digest.hexdigest() != table["sha256"]:
                raise InvalidInput(f"Table {table['name']} is damaged (checksum mismatch).",
                                   code="invalid_archive",
                                   fields={"archive": [f"{table['name']}: checksum mismatch."]})

        yield table, chunks()


# -- restoring --------------------------------------------------------------------------------
def tenant_restore(*, archive: Path | str, progress: Progress | None = None) -> Tenant:
    """Bring an archived tenant back from its archive file, as ``suspended``. Without a
    registry row for it (deleted since, or another installation), the row and its domains are
    recreated from the archive."""
    say = progress or (lambda _message: None)
    path = Path(archive)
    manifest = read_manifest(path)
    slug = manifest["tenant"]["slug"]
    tenant = Tenant.objects.filter(slug=slug).first()
    # No registry row: a tenant deleted after it was archived, or one moved from another
    # installation. The archive has what the row needs.
    registered_here = tenant is None
    if registered_here:
        tenant = _register_from_manifest(path, manifest)
    if tenant.state != TenantState.ARCHIVED:
        raise Conflict(f"Tenant '{slug}' is {tenant.state}; only an archived tenant can be "
                       "restored.", code="invalid_state")
    if tenant.schema_name != manifest["tenant"]["schema_name"]:
        raise _bad(path, f"made for schema {manifest['tenant']['schema_name']}, "
                         f"but tenant '{slug}' uses {tenant.schema_name}.")
    if schema_exists(tenant.schema_name):
        raise Conflict(f"Schema {tenant.schema_name} already exists; drop it first.",
                       code="schema_exists")
    migrations = {tuple(m) for m in manifest["migrations"]}
    unknown = migrations - set(MigrationExecutor(connection).loader.graph.nodes)
    if unknown:
        raise _bad(path, f"made by a newer release: {len(unknown)} migration(s) unknown here, "
                         f"e.g. {'.'.join(sorted(unknown)[0])}.")

    tenant.state, tenant.provisioning_step, tenant.provisioning_error = (
        TenantState.PROVISIONING, "restore", "")
    tenant.save(update_fields=["state", "provisioning_step", "provisioning_error", "updated_at"])
    try:
        with transaction.atomic():
            forward = _create_schema_at(tenant.schema_name, migrations)
            say("schema created at the archive's migration state")
            rows = _load(path, tenant.schema_name)
            say(f"{rows} rows loaded")
        if forward:
            schema_migrate(tenant.schema_name)
            say("migrated to the current release")
    except BaseException as exc:
        connection.set_schema_to_public()
        schemas.schema_drop(tenant.schema_name)
        if registered_here:  # leave nothing behind, as before the call
            Domain.objects.filter(tenant=tenant).delete()
            tenant.delete()
        else:
            tenant.state, tenant.provisioning_error = TenantState.ARCHIVED, str(exc)[:2000]
            tenant.save(update_fields=["state", "provisioning_error", "updated_at"])
        raise
    finally:
        connection.set_schema_to_public()
    tenant.state, tenant.provisioning_step = TenantState.SUSPENDED, ""
    tenant.archived_at, tenant.archive_file, tenant.archive_sha256 = None, "", ""
    tenant.save(update_fields=["state", "provisioning_step", "archived_at", "archive_file",
                               "archive_sha256", "updated_at"])
    return tenant


def _register_from_manifest(path: Path, manifest: dict) -> Tenant:
    """The registry row and domains of the archived tenant, recreated (state ``archived``) as
    provisioning would register it here: the primary domain is ``<slug>.<BASE_DOMAIN>`` of this
    installation, the custom domains come from the archive."""
    from tenants.provisioning import domains_create, registration_check_free, registration_errors

    info = manifest["tenant"]
    slug, name = str(info.get("slug", "")), str(info.get("name") or info.get("slug", ""))
    custom = [str(d["domain"]) for d in manifest.get("domains", []) if not d.get("is_primary")]
    errors = registration_errors(slug=slug, name=name, domains=custom)
    if errors:
        raise InvalidInput(f"{path.name}: cannot register tenant '{slug}' here.",
                           code="invalid_archive", fields=errors)
    registration_check_free(slug=slug, domains=custom)
    with transaction.atomic():
        tenant = Tenant.objects.create(slug=slug, name=name.strip(),
                                       schema_name=schema_name_for_slug(slug),
                                       state=TenantState.ARCHIVED)
        domains_create(tenant=tenant, custom=custom)
    return tenant


def _create_schema_at(schema: str, migrations: set[tuple[str, str]]) -> bool:
    """An empty schema at exactly the archive's migration state; True when it then needs
    migrating forward."""
    template = settings.TENANT_TEMPLATE_SCHEMA
    if not schema_exists(template):
        template_ensure()
    if migrations == {tuple(m) for m in _applied_migrations(template)}:
        schemas.schema_create(schema, method="replay")
        forward = False
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote(schema)}")
        with schema_context(schema):
            executor = MigrationExecutor(connection)
            graph = executor.loader.graph
            targets = []
            for app in sorted({app for app, _name in migrations}):
                # The app's latest applied migration: the one with the longest history.
                applied = [node for node in migrations if node[0] == app]
                targets.append(max(applied, key=lambda node: len(graph.forwards_plan(node))))
            executor.migrate(targets)
        forward = True
    q = connection.ops.quote_name
    tables = _tables(schema)
    if tables:  # the template's rows (content types, ...) come back from the archive instead
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(f"{q(schema)}.{q(t)}" for t in tables))
    return forward


def _load(path: Path, schema: str) -> int:
    """Every table's rows, in one transaction and one pass over the file: Django's foreign
    keys are deferred to the end, so the order of tables does not matter."""
    present = _tables(schema)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # whatever this transaction set before
    with _open_archive(path) as (tar, manifest):
        for table, chunks in _table_streams(path, tar, manifest):
            missing = set(table["columns"]) - set(present.get(table["name"], []))
            if missing:
                raise _bad(path, f"table {table['name']}: no column(s) {sorted(missing)} at "
                                 "the archive's migration state.")
            target = _qualified(schema, table["name"], table["columns"])
            try:
                with connection.cursor() as cursor, cursor.copy(
                        f"COPY {target} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                    for chunk in chunks:
                        copy.write(chunk)
            except DatabaseError as exc:  # rows PostgreSQL refuses: the caller rolls back
                raise _bad(path, f"table {table['name']} does not load: "
                                 f"{str(exc).strip().splitlines()[0]}") from exc
            except psycopg.Error as exc:
                raise _bad(path, f"table {table['name']} does not load: {exc}") from exc
    try:
        with connection.cursor() as cursor:  # the deferred foreign keys, checked now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except DatabaseError as exc:
        raise _bad(path, f"rows refer to rows it does not hold: {exc}") from exc
    _reset_sequences(schema)
    return sum(table["rows"] for table in manifest["tables"])


def _reset_sequences(schema: str) -> None:
    """Identity and serial columns continue after the highest restored value."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, a.attname,
                      pg_get_serial_sequence(format('%%I.%%I', n.nspname, c.relname), a.attname)
                 FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_attribute a ON a.attrelid = c.oid
                WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND a.attnum > 0
                  AND NOT a.attisdropped""", [schema])
        for table, column, sequence in cursor.fetchall():
            if sequence is None:
                continue
            c, src = q(column), f"{q(schema)}.{q(table)}"
            sql = f"SELECT setval(%s, COALESCE(MAX({c}), 1), MAX({c}) IS NOT NULL) FROM {src}"  # noqa: S608
            cursor.execute(sql, [sequence])
