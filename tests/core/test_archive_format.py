"""The archive file on its own (tenants.archive.format): written, read back and checked with no
database at all."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile

import pytest

from tenant_apps.core.errors import InvalidInput
from tenants.archive.format import (
    ARCHIVE_FORMAT,
    MANIFEST,
    open_archive,
    read_manifest,
    table_streams,
    verify_archive,
    write_archive,
)

TABLES = {
    "accounts_user": (b'id,email,full_name\n1,a@x.example,"Zo\xc3\xab ""Q"", comma"\n'
                      b"2,b@x.example,\n"),
    "empty_table": b"id\n",
}


def _manifest(tables: dict[str, bytes] = TABLES) -> dict:
    return {
        "format": ARCHIVE_FORMAT,
        "tenant": {"slug": "acme", "name": "Acme", "schema_name": "t_acme",
                   "created_at": "2026-01-01T00:00:00+00:00"},
        "domains": [{"domain": "acme.localhost", "is_primary": True}],
        "archived_at": "2026-02-01T00:00:00+00:00",
        "migrations": [["accounts", "0001_initial"]],
        "tables": [{"name": name, "columns": data.split(b"\n")[0].decode().split(","),
                    "rows": data.count(b"\n") - 1, "sha256": hashlib.sha256(data).hexdigest()}
                   for name, data in sorted(tables.items())],
    }


@pytest.fixture
def archive(tmp_path):
    files = {}
    for name, data in TABLES.items():
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_bytes(data)
    path = tmp_path / "acme.tar.gz"
    write_archive(path, _manifest(), files)
    return path


def _members(path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(path, "r:gz") as tar:
        return [(m, tar.extractfile(m).read()) for m in tar.getmembers()]


def _write_members(path, members) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for member, data in members:
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


def test_the_manifest_comes_first_then_each_table_in_order_owner_only(archive):
    assert [m.name for m, _data in _members(archive)] == [
        MANIFEST, "tables/accounts_user.csv", "tables/empty_table.csv"]
    assert archive.stat().st_mode & 0o777 == 0o600


def test_written_archive_verifies_and_reads_back_byte_for_byte(archive):
    assert verify_archive(archive, expected=_manifest()) == hashlib.sha256(
        archive.read_bytes()).hexdigest()
    assert read_manifest(archive) == _manifest()
    with open_archive(archive) as (tar, manifest):
        loaded = {table["name"]: b"".join(chunks)
                  for table, chunks in table_streams(archive, tar, manifest)}
    assert loaded == TABLES


def test_write_refuses_to_overwrite_an_existing_file(archive):
    with pytest.raises(FileExistsError):
        write_archive(archive, _manifest(), {})


def test_verify_notices_a_manifest_that_differs_from_the_one_meant(archive):
    other = _manifest()
    other["tables"][0]["rows"] += 1
    with pytest.raises(RuntimeError, match="manifest read back differs"):
        verify_archive(archive, expected=other)


def test_a_damaged_table_fails_its_checksum_after_its_last_chunk(archive):
    members = [(m, data.replace(b"b@x", b"c@x") if m.name.endswith("accounts_user.csv")
                else data) for m, data in _members(archive)]
    _write_members(archive, members)
    with pytest.raises(InvalidInput, match="accounts_user is damaged"), \
            open_archive(archive) as (tar, manifest):
        for _table, chunks in table_streams(archive, tar, manifest):
            list(chunks)


def test_a_listed_table_missing_from_the_file_is_named(archive):
    _write_members(archive, [(m, d) for m, d in _members(archive)
                             if not m.name.endswith("empty_table.csv")])
    with pytest.raises(InvalidInput, match="table empty_table is listed but missing"):
        verify_archive(archive, expected=_manifest())


def test_a_tar_without_the_manifest_first_is_not_an_archive(archive):
    members = _members(archive)
    _write_members(archive, members[1:] + members[:1])
    with pytest.raises(InvalidInput, match=r"no manifest\.json first") as excinfo:
        read_manifest(archive)
    assert excinfo.value.code == "invalid_archive"


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(format=ARCHIVE_FORMAT + 1), "not a tenant archive of format"),
    (lambda m: m.pop("tables"), "malformed manifest"),
    (lambda m: m["tenant"].update(slug=7), "malformed manifest"),
])
def test_a_manifest_of_another_format_or_shape_is_refused(archive, change, message):
    def edit(member, data):
        if member.name != MANIFEST:
            return data
        manifest = json.loads(data)
        change(manifest)
        return json.dumps(manifest).encode()

    _write_members(archive, [(m, edit(m, d)) for m, d in _members(archive)])
    with pytest.raises(InvalidInput, match=message):
        read_manifest(archive)


@pytest.mark.parametrize("content", [b"", b"not an archive", gzip.compress(b"not a tar")])
def test_anything_else_is_unreadable(tmp_path, content):
    path = tmp_path / "x.tar.gz"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=r"x\.tar\.gz: unreadable|not a tenant archive"):
        read_manifest(path)
