"""Retiring a tenant (archive: export, then drop the schema) and bringing it back (restore)."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from shared_apps.accounts.models import User
from tenant_apps.core.errors import Conflict, InvalidInput
from tenant_apps.inventory.models import Product, StockLevel
from tenants.archive import pgcopy
from tenants.archive import services as archive_services
from tenants.archive.format import read_manifest
from tenants.archive.services import tenant_archive, tenant_restore
from tenants.models import Tenant
from tenants.provisioning import tenant_provision
from tests.attendance.factories import EmployeeFactory, SiteFactory
from tests.inventory import factories as f
from tests.schema_fingerprint import fingerprint_differences, schema_fingerprint

if settings.TENANT_DISTRIBUTION == "citus":
    @pytest.fixture
    def db(committed_tenant_changes):
        """On Citus these tests commit (tests/conftest.py, ``committed_tenant_changes``, says
        why), and are cleaned up after."""
        yield


def _table_counts(schema: str) -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in pgcopy.tables(schema):
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def filled(db):
    """A tenant with data in several apps: users, products, stock, attendance."""
    ctx = tenant_provision(slug="retiring", name="Retiring Co", owner_email="o@retiring.example",
                           owner_password="pw-long-enough-1", domains=["shop.retiring.example"])
    tenant = ctx.tenant
    with schema_context(tenant.schema_name):
        User.objects.create_user(email="member@retiring.example", password="pw-long-enough-2",
                                 role="member", full_name='Zoë "Quotes", Comma')
        main = f.WarehouseFactory(code="MAIN")
        item = f.ProductFactory(sku="SKU-1", name="Line\nbreak, and, commas", description="")
        f.ProductFactory(sku="SKU-2", name="No barcode", barcode="")
        f.receive(item, main, "12")
        f.issue(item, main, "2")
        EmployeeFactory(code="E-1", default_site=SiteFactory(name="HQ"))
    connection.set_schema_to_public()
    return tenant


def test_archive_exports_everything_drops_the_schema_and_restore_brings_it_back(
        filled, tmp_path, client):
    schema = filled.schema_name
    before = _table_counts(schema)
    with schema_context(schema):
        product_rows = sorted(Product.objects.values_list("sku", "name", "description",
                                                            "barcode", "price"))
    connection.set_schema_to_public()

    info = tenant_archive(slug="retiring", directory=tmp_path)

    tenant = Tenant.objects.get(slug="retiring")
    assert tenant.state == "archived" and tenant.archive_file == info.path.name
    assert not schema_exists(schema)
    assert list(tmp_path.iterdir()) == [info.path]  # no partial file left
    assert info.path.stat().st_mode & 0o777 == 0o600  # a customer's data: the owner's only
    assert client.get("/", HTTP_HOST="retiring.localhost").status_code == 404
    manifest = read_manifest(info.path)
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == before
    assert {d["domain"] for d in manifest["domains"]} == {"retiring.localhost",
                                                          "shop.retiring.example"}
    assert info.rows == sum(before.values()) and info.tables == len(before)

    restored = tenant_restore(archive=info.path)

    assert restored.state == "suspended" and restored.archive_file == ""
    assert _table_counts(schema) == before
    assert fingerprint_differences(schema_fingerprint("tenant_template", with_rows=False),
                                   schema_fingerprint(schema, with_rows=False)) == []
    with schema_context(schema):
        assert sorted(Product.objects.values_list("sku", "name", "description", "barcode",
                                                    "price")) == product_rows
        member = User.objects.get(email="member@retiring.example")
        assert member.full_name == 'Zoë "Quotes", Comma' and member.check_password(
            "pw-long-enough-2")
        assert StockLevel.objects.get().quantity == Decimal("10")
        # The generated search column is computed again, and sequences continue after the
        # restored ids.
        assert Product.objects.filter(search_vector="break").count() == 1
        newest = f.ProductFactory(sku="SKU-3")
        assert newest.pk > max(Product.objects.exclude(pk=newest.pk).values_list("pk",
                                                                                    flat=True))
    connection.set_schema_to_public()


def test_a_failure_after_the_export_leaves_the_tenant_and_its_data_and_no_file(
        filled, tmp_path, monkeypatch):
    before = _table_counts(filled.schema_name)

    def broken_drop(schema_name):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(archive_services, "schema_drop", broken_drop)
    with pytest.raises(RuntimeError, match="disk on fire"):
        tenant_archive(slug="retiring", directory=tmp_path)
    tenant = Tenant.objects.get(slug="retiring")
    assert tenant.state == "suspended" and tenant.archive_file == ""
    assert _table_counts(filled.schema_name) == before
    assert list(tmp_path.iterdir()) == []


def test_only_active_or_suspended_tenants_are_archived_and_only_archived_ones_restored(
        filled, tmp_path):
    info = tenant_archive(slug="retiring", directory=tmp_path)
    with pytest.raises(Conflict, match="only an active or suspended tenant"):
        tenant_archive(slug="retiring", directory=tmp_path)
    tenant_restore(archive=info.path)
    with pytest.raises(Conflict, match="only an archived tenant can be restored"):
        tenant_restore(archive=info.path)


def _rewrite(path, change) -> None:
    """Rewrite an archive with ``change(name, data) -> data`` applied to every member."""
    with tarfile.open(path, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(path, "w:gz") as tar:
        for member, data in members:
            data = change(member.name, data)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


def test_a_damaged_archive_is_refused_and_the_tenant_stays_archived(filled, tmp_path):
    info = tenant_archive(slug="retiring", directory=tmp_path)
    _rewrite(info.path, lambda name, data: data.replace(b"SKU-2", b"SKU-9")
             if name == "tables/inventory_product.csv" else data)

    with pytest.raises(InvalidInput, match="inventory_product is damaged") as excinfo:
        tenant_restore(archive=info.path)
    assert excinfo.value.code == "invalid_archive"
    tenant = Tenant.objects.get(slug="retiring")
    assert tenant.state == "archived" and "checksum" in tenant.provisioning_error
    assert not schema_exists(filled.schema_name)


@pytest.mark.parametrize("content", [b"not an archive", gzip.compress(b"not a tar either")])
def test_a_file_that_is_not_an_archive_is_a_clear_error(db, tmp_path, content):
    path = tmp_path / "x.tar.gz"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=r"x\.tar\.gz: unreadable"):
        tenant_restore(archive=path)


def test_an_archive_from_an_older_release_is_migrated_forward_on_restore(filled, tmp_path):
    """Made when the core app did not exist yet: restore recreates the schema at that state,
    loads it, then migrates it to today's."""
    call_command("migrate_schemas", "core", "zero", schema_name=filled.schema_name,
                 interactive=False, verbosity=0, stdout=io.StringIO())
    connection.set_schema_to_public()
    info = tenant_archive(slug="retiring", directory=tmp_path)
    manifest = read_manifest(info.path)
    assert not any(app == "core" for app, _name in manifest["migrations"])
    assert "core_job" not in {t["name"] for t in manifest["tables"]}

    tenant_restore(archive=info.path)

    schema = filled.schema_name
    assert fingerprint_differences(schema_fingerprint("tenant_template", with_rows=False),
                                   schema_fingerprint(schema, with_rows=False)) == []
    with schema_context(schema):
        assert Product.objects.filter(sku="SKU-1").exists()
    connection.set_schema_to_public()


def test_an_archive_from_a_newer_release_is_refused_before_anything_changes(filled, tmp_path):
    info = tenant_archive(slug="retiring", directory=tmp_path)

    def newer(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migrations"].append(["inventory", "9999_from_the_future"])
        return json.dumps(manifest).encode()

    _rewrite(info.path, newer)
    with pytest.raises(InvalidInput, match="made by a newer release"):
        tenant_restore(archive=info.path)
    assert Tenant.objects.get(slug="retiring").state == "archived"


def test_tenant_command_archive_and_restore(filled, tmp_path):
    out = io.StringIO()
    with pytest.raises(CommandError, match="pass --yes"):
        call_command("tenant", "archive", "retiring", "--to", str(tmp_path), stdout=out)
    call_command("tenant", "archive", "retiring", "--to", str(tmp_path), "--yes", stdout=out)
    text = out.getvalue()
    assert "Tenant 'retiring' archived" in text and "schema dropped" in text
    archive_path = next(line.split(": ", 1)[1] for line in text.splitlines()
                        if line.startswith("Archive: "))
    out = io.StringIO()
    call_command("tenant", "restore", archive_path, stdout=out)
    assert "restored as suspended" in out.getvalue()
    assert Tenant.objects.get(slug="retiring").state == "suspended"
    with pytest.raises(CommandError, match="only an archived tenant"):
        call_command("tenant", "restore", archive_path, stdout=io.StringIO())


def test_an_archive_brings_back_a_tenant_deleted_since_with_its_domains(filled, tmp_path):
    """Disaster recovery, or a move between installations: no registry row to restore into."""
    from tenants.services import tenant_delete

    before = _table_counts(filled.schema_name)
    info = tenant_archive(slug="retiring", directory=tmp_path)
    tenant_delete(slug="retiring", force=True)
    assert not Tenant.objects.filter(slug="retiring").exists()

    restored = tenant_restore(archive=info.path)

    assert (restored.slug, restored.name, restored.state) == ("retiring", "Retiring Co",
                                                              "suspended")
    assert sorted(restored.domains.values_list("domain", "is_primary")) == [
        ("retiring.localhost", True), ("shop.retiring.example", False)]
    assert _table_counts(filled.schema_name) == before


def test_a_deleted_tenants_archive_whose_domain_was_taken_since_is_refused_cleanly(
        filled, tmp_path, tenants):
    from tenants.models import Domain
    from tenants.services import tenant_delete

    info = tenant_archive(slug="retiring", directory=tmp_path)
    tenant_delete(slug="retiring", force=True)
    Domain.objects.create(domain="shop.retiring.example", tenant=Tenant.objects.get(slug="acme"),
                          is_primary=False)

    with pytest.raises(Conflict, match=r"Domain already in use: shop\.retiring\.example"):
        tenant_restore(archive=info.path)
    assert not Tenant.objects.filter(slug="retiring").exists()
    assert not schema_exists(filled.schema_name)


def test_a_failed_restore_of_a_deleted_tenant_leaves_no_row_domain_or_schema(filled, tmp_path):
    from tenants.models import Domain
    from tenants.services import tenant_delete

    info = tenant_archive(slug="retiring", directory=tmp_path)
    tenant_delete(slug="retiring", force=True)
    _rewrite(info.path, lambda name, data: data + b"tampered\n"
             if name == "tables/accounts_user.csv" else data)

    with pytest.raises(InvalidInput):
        tenant_restore(archive=info.path)
    assert not Tenant.objects.filter(slug="retiring").exists()
    assert not Domain.objects.filter(domain__endswith="retiring.example").exists()
    assert not schema_exists(filled.schema_name)


def test_rows_postgresql_refuses_are_a_clear_error_even_with_a_matching_checksum(
        filled, tmp_path):
    """An archive edited by hand, manifest included: its checksums match, its rows do not."""
    import hashlib

    info = tenant_archive(slug="retiring", directory=tmp_path)
    edited: dict[str, bytes] = {}

    def orphan_movement(name, data):
        if name == "tables/inventory_stockmovement.csv":
            header, first, *rest = data.split(b"\n")
            columns = header.decode().split(",")
            cells = first.decode().split(",")
            cells[columns.index("product_id")] = "987654"  # no such product
            edited[name] = data = b"\n".join([header, ",".join(cells).encode(), *rest])
        elif name == "manifest.json":
            return data  # rewritten below, once the table's new checksum is known
        return data

    _rewrite(info.path, orphan_movement)

    def fix_manifest(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        for table in manifest["tables"]:
            if f"tables/{table['name']}.csv" in edited:
                table["sha256"] = hashlib.sha256(edited[f"tables/{table['name']}.csv"]).hexdigest()
        return json.dumps(manifest).encode()

    _rewrite(info.path, fix_manifest)
    with pytest.raises(InvalidInput, match="rows refer to rows it does not hold"):
        tenant_restore(archive=info.path)
    assert Tenant.objects.get(slug="retiring").state == "archived"
    assert not schema_exists(filled.schema_name)


def test_an_unusable_archive_directory_is_refused_before_anything_changes(filled, tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    with pytest.raises(InvalidInput, match="Cannot write archives to") as excinfo:
        tenant_archive(slug="retiring", directory=not_a_directory / "archives")
    assert excinfo.value.code == "archive_dir_unwritable"
    assert Tenant.objects.get(slug="retiring").state == "active"
    assert schema_exists(filled.schema_name)


def test_a_tenant_without_its_schema_is_not_archived(filled, tmp_path):
    from tenants.schema.create import schema_drop

    with connection.cursor() as cursor:  # the fixture's rows are not committed yet
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_drop(filled.schema_name)
    with pytest.raises(Conflict, match="nothing to archive"):
        tenant_archive(slug="retiring", directory=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_tenant_moved_from_another_installation_gets_this_installations_address(
        filled, tmp_path):
    from tenants.services import tenant_delete

    info = tenant_archive(slug="retiring", directory=tmp_path)
    tenant_delete(slug="retiring", force=True)

    def elsewhere(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        for domain in manifest["domains"]:
            if domain["is_primary"]:
                domain["domain"] = "retiring.old-platform.example"
        return json.dumps(manifest).encode()

    _rewrite(info.path, elsewhere)
    restored = tenant_restore(archive=info.path)
    assert sorted(restored.domains.values_list("domain", "is_primary")) == [
        ("retiring.localhost", True), ("shop.retiring.example", False)]


def test_an_archive_naming_a_reserved_slug_is_not_registered(db, filled, tmp_path):
    from tenants.services import tenant_delete

    info = tenant_archive(slug="retiring", directory=tmp_path)
    tenant_delete(slug="retiring", force=True)

    def reserved(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["tenant"].update(slug="www", schema_name="t_www")
        return json.dumps(manifest).encode()

    _rewrite(info.path, reserved)
    with pytest.raises(InvalidInput) as excinfo:
        tenant_restore(archive=info.path)
    assert "slug" in excinfo.value.fields
    assert not Tenant.objects.filter(slug="www").exists()
