"""The archive file: a gzipped tar holding ``manifest.json`` first, then one CSV per table.

No database here: this module writes, reads and checks files, and is tested on its own.

* ``manifest.json``: ``format`` (``ARCHIVE_FORMAT``), ``tenant`` (slug, name, schema_name,
  created_at), ``domains``, ``archived_at``, ``migrations`` (the schema's applied migrations,
  in order) and ``tables``: per table its ``name``, ``columns``, ``rows`` and ``sha256``;
* ``tables/<table>.csv``: PostgreSQL's CSV with a header, in the manifest's order.

Manifest first means a reader streams the file once: the manifest, then each table, checking
each table's checksum as it goes (``open_archive`` + ``table_streams``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tarfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tenant_apps.core.errors import InvalidInput

ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
_CHUNK = 1 << 20

_UNREADABLE = (OSError, tarfile.TarError, EOFError, zlib.error)


def table_member(table: str) -> str:
    return f"tables/{table}.csv"


# -- writing -----------------------------------------------------------------------------------
def write_archive(path: Path, manifest: dict, table_files: dict[str, Path]) -> None:
    """Write a new archive at ``path`` (which must not exist; mode 0600, fsynced): the
    manifest, then each of its tables from ``table_files`` (table name -> CSV file)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(dt.datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            for table in manifest["tables"]:
                tar.add(table_files[table["name"]], arcname=table_member(table["name"]))
        raw.flush()
        os.fsync(raw.fileno())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_archive(path: Path, *, expected: dict) -> str:
    """Read the file back as a restore would: the manifest must equal ``expected`` and every
    table its checksum. Returns the whole file's SHA-256."""
    with open_archive(path) as (tar, manifest):
        if manifest != json.loads(json.dumps(expected)):
            raise RuntimeError(f"{path}: the manifest read back differs from the one written")
        for _table, chunks in table_streams(path, tar, manifest):
            for _chunk in chunks:
                pass
    return file_sha256(path)


# -- reading -----------------------------------------------------------------------------------
def bad_archive(path: Path, message: str) -> InvalidInput:
    return InvalidInput(f"{path.name}: {message}", code="invalid_archive",
                        fields={"archive": [message]})


@contextmanager
def open_archive(path: Path) -> Iterator[tuple[tarfile.TarFile, dict]]:
    """The open archive (a stream: read it in one pass) and its manifest; InvalidInput for
    anything that is not an archive of this format."""
    try:
        tar = tarfile.open(path, "r|gz")  # noqa: SIM115 (closed by the `with tar` below)
    except _UNREADABLE as exc:
        raise bad_archive(path, f"unreadable ({exc}).") from exc
    with tar:
        try:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise bad_archive(path, "no manifest.json first: not a tenant archive.")
            manifest = json.load(tar.extractfile(first))
        except (*_UNREADABLE, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise bad_archive(path, f"unreadable ({exc}).") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
            raise bad_archive(path, f"not a tenant archive of format {ARCHIVE_FORMAT}.")
        try:
            names = [table["name"] for table in manifest["tables"]]
            if not all(isinstance(n, str) for n in names) or not isinstance(
                    manifest["tenant"]["slug"], str) or not isinstance(
                    manifest["migrations"], list):
                raise TypeError("tables, tenant.slug or migrations")
        except (KeyError, TypeError) as exc:
            raise bad_archive(path, f"malformed manifest ({exc}).") from exc
        yield tar, manifest


def read_manifest(path: Path | str) -> dict:
    """The archive's manifest, read without decompressing the tables."""
    with open_archive(Path(path)) as (_tar, manifest):
        return manifest


def table_streams(path: Path, tar: tarfile.TarFile,
                  manifest: dict) -> Iterator[tuple[dict, Iterator[bytes]]]:
    """Each table of the manifest with its CSV in chunks, in order. A chunk iterator must be
    used up before the next table: after its last chunk it raises when the checksum differs
    from the manifest's (so a loader must be inside a transaction it can roll back)."""
    for table in manifest["tables"]:
        try:
            member = tar.next()
        except _UNREADABLE as exc:
            raise bad_archive(path, f"unreadable ({exc}).") from exc
        if member is None or member.name != table_member(table["name"]):
            raise bad_archive(path, f"table {table['name']} is listed but missing.")
        file = tar.extractfile(member)

        def chunks(file=file, table=table) -> Iterator[bytes]:
            digest = hashlib.sha256()
            try:
                for chunk in iter(lambda: file.read(_CHUNK), b""):
                    digest.update(chunk)
                    yield chunk
            except _UNREADABLE as exc:
                raise bad_archive(path, f"unreadable ({exc}).") from exc
            if digest.hexdigest() != table["sha256"]:
                raise InvalidInput(f"Table {table['name']} is damaged (checksum mismatch).",
                                   code="invalid_archive",
                                   fields={"archive": [f"{table['name']}: checksum mismatch."]})

        yield table, chunks()
