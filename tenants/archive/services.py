"""Retiring a tenant: its data exported to one archive file, then its schema dropped (state
``archived``); and bringing an archive back. The file's layout is ``tenants.archive.format``'s,
the COPY in and out ``tenants.archive.pgcopy``'s; this module is the lifecycle around them. The
registry row and the domains stay, so the slug and the addresses stay reserved.

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

import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_exists

from shared_apps.audit.services import platform_audit
from tenant_apps.core.errors import Conflict, InvalidInput, NotFound
from tenants.archive import pgcopy
from tenants.archive.format import (
    ARCHIVE_FORMAT,
    bad_archive,
    open_archive,
    read_manifest,
    table_streams,
    verify_archive,
    write_archive,
)
from tenants.locks import run_in_progress, run_lock
from tenants.models import Domain, Tenant, TenantState
from tenants.provisioning import domains_create, registration_check_free, registration_errors
from tenants.schema.create import schema_drop
from tenants.schema.migrate import schema_migrate
from tenants.selectors import tenant_get
from tenants.services import tenant_suspend
from tenants.slugs import schema_name_for_slug

Progress = Callable[[str], None]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    sha256: str
    tables: int
    rows: int


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
    # Held for the run (PostgreSQL releases it if the process dies): the sweeper tells an
    # interrupted run from a running one by it.
    with run_lock(f"archive:{slug}") as held:
        if not held:
            raise Conflict(f"Tenant '{slug}' is being archived by another process.",
                           code="archive_in_progress")
        return _archive_locked(tenant, target_dir, say)


def archive_names(*, slug: str, started) -> tuple[str, str]:
    """The final and temporary file names of the archive run of ``slug`` started at
    ``started`` (the stamp is its ``archive_started_at``, so the sweeper can find them)."""
    final = f"{slug}-{started.strftime('%Y%m%dT%H%M%SZ')}.tar.gz"
    return final, f".{final}.partial"


def _archive_locked(tenant: Tenant, target_dir: Path, say: Progress) -> ArchiveInfo:
    slug = tenant.slug
    if tenant.state == TenantState.ACTIVE:
        # Its own commit: web processes stop serving it. Not audited on its own: it is a step of
        # the archive, which is (one entry per operator action).
        tenant = tenant_suspend(slug=slug, reason="Archived by the platform operator.",
                                audit=False)
        say("suspended")

    # Committed before the work: if the process dies, the row says an archive was under way
    # (the sweeper turns that into archive_error and removes its files).
    started = timezone.now().replace(microsecond=0)
    Tenant.objects.filter(pk=tenant.pk).update(archive_started_at=started, archive_error="")
    final_name, partial_name = archive_names(slug=slug, started=started)
    final, partial = target_dir / final_name, target_dir / partial_name
    try:
        with transaction.atomic():
            tables = pgcopy.tables(tenant.schema_name)
            pgcopy.lock_against_writes(tenant.schema_name, tables)
            say(f"exporting {len(tables)} tables")
            manifest = _write_archive(partial, tenant, tables)
            sha256 = verify_archive(partial, expected=manifest)
            say("archive verified")
            partial.replace(final)
            # Foreign-key checks still pending in this transaction (rows written earlier in it,
            # as in tests) would block the DROP; run them now.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            schema_drop(tenant.schema_name)
            tenant.state = TenantState.ARCHIVED
            tenant.archived_at = timezone.now()
            tenant.archive_file = final.name
            tenant.archive_sha256 = sha256
            tenant.archive_started_at, tenant.archive_error = None, ""
            tenant.save(update_fields=["state", "archived_at", "archive_file", "archive_sha256",
                                       "archive_started_at", "archive_error", "updated_at"])
            platform_audit("tenant.archive", target=slug, detail={
                "archive_file": final.name, "sha256": sha256, "tables": len(tables),
                "rows": sum(t["rows"] for t in manifest["tables"])})
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        try:
            connection.set_schema_to_public()
            Tenant.objects.filter(pk=tenant.pk).update(
                archive_started_at=None,
                archive_error=f"Archive failed: {exc}"[:2000] + " The tenant is suspended with "
                              "all its data; run the archive again.")
        except DatabaseError:
            pass  # the database went away too; the sweeper will say it was interrupted
        raise
    finally:
        connection.set_schema_to_public()
    say(f"schema {tenant.schema_name} dropped")
    return ArchiveInfo(path=final, sha256=sha256, tables=len(tables),
                       rows=sum(t["rows"] for t in manifest["tables"]))


_FINAL = re.compile(r"^(?P<slug>[a-z0-9-]+)-\d{8}T\d{6}Z\.tar\.gz$")
_PARTIAL = re.compile(r"^\.(?P<slug>[a-z0-9-]+)-\d{8}T\d{6}Z\.tar\.gz\.partial$")


@dataclass(frozen=True)
class ReconcileReport:
    interrupted: list[str]  # tenants whose archive run died; now marked with archive_error
    removed: list[str]  # files left by dead runs, deleted
    unknown: list[str]  # archives the registry does not record (kept; reported)


def archives_reconcile(*, directory: Path | str | None = None) -> ReconcileReport:
    """Make ``TENANT_ARCHIVE_DIR`` agree with the registry after a crash (run by the sweeper).

    An archive run that is no longer running (its advisory lock is free) but left
    ``archive_started_at`` was killed before its commit: its transaction was rolled back, so the
    tenant is suspended with all its data. Its files (the ``.partial`` or the already renamed
    final file, which the registry never recorded) are removed and ``archive_error`` says what
    happened; running the archive again finishes it. Any other ``.partial`` file is a dead run's
    too and is removed. A final-named archive the registry does not record is reported, never
    deleted: it may be a deleted tenant's or another installation's export."""
    target_dir = Path(directory or settings.TENANT_ARCHIVE_DIR)
    interrupted, removed, running = [], [], set()
    for tenant in Tenant.objects.filter(archive_started_at__isnull=False):
        if run_in_progress(f"archive:{tenant.slug}"):
            running.add(tenant.slug)
            continue
        for name in archive_names(slug=tenant.slug, started=tenant.archive_started_at):
            if (target_dir / name).exists():
                (target_dir / name).unlink()
                removed.append(name)
        Tenant.objects.filter(pk=tenant.pk, archive_started_at=tenant.archive_started_at).update(
            archive_started_at=None,
            archive_error=(f"The archive started at {tenant.archive_started_at:%Y-%m-%d %H:%M:%S} "
                           "UTC was interrupted (its process stopped) before it finished. The "
                           "tenant is suspended with all its data; run the archive again."))
        interrupted.append(tenant.slug)
        logger.warning("Archive of %s was interrupted; marked, files removed", tenant.slug)
    unknown = []
    if target_dir.is_dir():
        recorded = set(Tenant.objects.exclude(archive_file="")
                       .values_list("archive_file", flat=True))
        for path in sorted(target_dir.iterdir()):
            partial = _PARTIAL.match(path.name)
            if partial and partial["slug"] not in running:
                path.unlink(missing_ok=True)
                removed.append(path.name)
            elif _FINAL.match(path.name) and path.name not in recorded \
                    and _FINAL.match(path.name)["slug"] not in running:
                unknown.append(path.name)
    if unknown:
        logger.warning("Archives in %s that the registry does not record: %s", target_dir,
                       ", ".join(unknown))
    return ReconcileReport(interrupted=interrupted, removed=removed, unknown=unknown)


def _write_archive(path: Path, tenant: Tenant, tables: dict[str, list[str]]) -> dict:
    manifest: dict = {
        "format": ARCHIVE_FORMAT,
        "tenant": {"slug": tenant.slug, "name": tenant.name, "schema_name": tenant.schema_name,
                   "created_at": tenant.created_at.isoformat()},
        "domains": [{"domain": d.domain, "is_primary": d.is_primary}
                    for d in Domain.objects.filter(tenant=tenant).order_by("domain")],
        "archived_at": timezone.now().isoformat(),
        "migrations": pgcopy.applied_migrations(tenant.schema_name),
        "tables": [],
    }
    with tempfile.TemporaryDirectory() as scratch:
        # Tables first to scratch files: the manifest (with their checksums and row counts)
        # comes first in the archive, so that a reader can stream it in one pass.
        files = {}
        for table, columns in sorted(tables.items()):
            files[table] = Path(scratch) / f"{table}.csv"
            rows, sha256 = pgcopy.copy_out(tenant.schema_name, table, columns, files[table])
            manifest["tables"].append({"name": table, "columns": columns, "rows": rows,
                                       "sha256": sha256})
        write_archive(path, manifest, files)
    return manifest


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
        raise bad_archive(path, f"made for schema {manifest['tenant']['schema_name']}, "
                                f"but tenant '{slug}' uses {tenant.schema_name}.")
    if schema_exists(tenant.schema_name):
        raise Conflict(f"Schema {tenant.schema_name} already exists; drop it first.",
                       code="schema_exists")
    migrations = {tuple(m) for m in manifest["migrations"]}
    unknown = pgcopy.unknown_migrations(migrations)
    if unknown:
        raise bad_archive(path, f"made by a newer release: {len(unknown)} migration(s) unknown "
                                f"here, e.g. {'.'.join(sorted(unknown)[0])}.")

    tenant.state, tenant.provisioning_step, tenant.provisioning_error = (
        TenantState.PROVISIONING, "restore", "")
    tenant.save(update_fields=["state", "provisioning_step", "provisioning_error", "updated_at"])
    try:
        try:
            with transaction.atomic():
                forward = pgcopy.create_schema_at(tenant.schema_name, migrations)
                say("schema created at the archive's migration state")
                rows = _load(path, tenant.schema_name)
        except IntegrityError as exc:
            # On Citus the workers check the deferred foreign keys only at COMMIT (SET
            # CONSTRAINTS ALL IMMEDIATE does not reach them): _load's refusal, found later.
            raise bad_archive(path, f"rows refer to rows it does not hold: {exc}") from exc
        say(f"{rows} rows loaded")
        if forward:
            schema_migrate(tenant.schema_name)
            say("migrated to the current release")
    except BaseException as exc:
        connection.set_schema_to_public()
        schema_drop(tenant.schema_name)
        if registered_here:  # leave nothing behind, as before the call
            Domain.objects.filter(tenant=tenant).delete()
            tenant.delete()
        else:
            tenant.state, tenant.provisioning_error = TenantState.ARCHIVED, str(exc)[:2000]
            tenant.save(update_fields=["state", "provisioning_error", "updated_at"])
        raise
    finally:
        connection.set_schema_to_public()
    archive_file = tenant.archive_file or path.name
    tenant.state, tenant.provisioning_step = TenantState.SUSPENDED, ""
    tenant.archived_at, tenant.archive_file, tenant.archive_sha256 = None, "", ""
    tenant.suspension_reason = "Restored from an archive; awaiting the operator's activation."
    with transaction.atomic():
        tenant.save(update_fields=["state", "provisioning_step", "archived_at", "archive_file",
                                   "archive_sha256", "suspension_reason", "updated_at"])
        platform_audit("tenant.restore", target=tenant.slug,
                       detail={"archive_file": archive_file, "registered_here": registered_here})
    return tenant


def _register_from_manifest(path: Path, manifest: dict) -> Tenant:
    """The registry row and domains of the archived tenant, recreated (state ``archived``) as
    provisioning would register it here: the primary domain is ``<slug>.<BASE_DOMAIN>`` of this
    installation, the custom domains come from the archive."""
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


def _load(path: Path, schema: str) -> int:
    """Every table's rows, in one transaction and one pass over the file: Django's foreign
    keys are deferred to the end, so the order of tables does not matter."""
    present = pgcopy.tables(schema)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # whatever this transaction set before
    with open_archive(path) as (tar, manifest):
        for table, chunks in table_streams(path, tar, manifest):
            missing = set(table["columns"]) - set(present.get(table["name"], []))
            if missing:
                raise bad_archive(path, f"table {table['name']}: no column(s) {sorted(missing)} at "
                                 "the archive's migration state.")
            try:
                pgcopy.copy_in(schema, table["name"], table["columns"], chunks)
            except DatabaseError as exc:  # rows PostgreSQL refuses: the caller rolls back
                raise bad_archive(path, f"table {table['name']} does not load: "
                                 f"{str(exc).strip().splitlines()[0]}") from exc
            except psycopg.Error as exc:
                raise bad_archive(path, f"table {table['name']} does not load: {exc}") from exc
    try:
        with connection.cursor() as cursor:  # the deferred foreign keys, checked now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except DatabaseError as exc:
        raise bad_archive(path, f"rows refer to rows it does not hold: {exc}") from exc
    pgcopy.reset_sequences(schema)
    return sum(table["rows"] for table in manifest["tables"])
