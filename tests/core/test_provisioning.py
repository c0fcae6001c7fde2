"""The provisioning pipeline: validation, every failure point, resume, the command line."""

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from shared_apps.accounts.models import User
from tenant_apps.core.errors import Conflict, InvalidInput
from tenants import provisioning
from tenants.models import Domain, Tenant
from tenants.provisioning import ProvisioningFailed, tenant_provision

if settings.TENANT_DISTRIBUTION == "citus":
    @pytest.fixture
    def db(committed_tenant_changes):
        """On Citus these tests commit (tests/conftest.py, ``committed_tenant_changes``, says
        why), and are cleaned up after."""
        yield


def _nothing_left(slug: str) -> bool:
    connection.set_schema_to_public()
    return (not Tenant.objects.filter(slug=slug).exists()
            and not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
            and not schema_exists(f"t_{slug.replace('-', '_')}"))


@pytest.mark.parametrize("method", ["replay", "clone", "migrate"])
def test_provision_creates_an_active_tenant_with_owner_and_domain(db, method, client):
    ctx = tenant_provision(slug=f"new-{method}", name="New Co", owner_email="Boss@New.Example",
                           owner_password="a-long-password-1", schema_method=method,
                           domains=["app.newco.example"])
    tenant = Tenant.objects.get(slug=f"new-{method}")
    assert tenant.state == "active"
    assert tenant.provisioning_step == "activate"
    assert sorted(tenant.domains.values_list("domain", "is_primary")) == [
        ("app.newco.example", False), (f"new-{method}.localhost", True)]
    with schema_context(tenant.schema_name):
        owner = User.objects.get()
        assert owner.email == "boss@new.example" and owner.role == "owner"
        assert owner.check_password("a-long-password-1")
        # Fully migrated: every tenant app's tables exist.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'core'")
            assert cursor.fetchone()[0] >= 1
    assert ctx.invitation_url == ""  # an explicit password: no invitation
    connection.set_schema_to_public()
    login = client.post("/accounts/login/", {"login": "boss@new.example",
                                    "password": "a-long-password-1"},
                        HTTP_HOST=f"new-{method}.localhost")
    assert login.status_code == 302


def test_the_owner_gets_an_invitation_link_not_a_password(db, client):
    ctx = tenant_provision(slug="genpass", name="Gen", owner_email="o@gen.example")
    prefix = "http://genpass.localhost/invitations/"
    assert ctx.invitation_url.startswith(prefix)
    with schema_context("t_genpass"):
        owner = User.objects.get()
        assert owner.role == "owner" and not owner.has_usable_password()
    connection.set_schema_to_public()

    path = ctx.invitation_url.removeprefix("http://genpass.localhost")
    page = client.get(path, HTTP_HOST="genpass.localhost")
    assert page.status_code == 200 and b"o@gen.example" in page.content
    differ = client.post(path, {"password": "a-new-pass-word-9", "password_again": "other"},
                         HTTP_HOST="genpass.localhost")
    assert differ.status_code == 200 and b"The two passwords differ" in differ.content
    accepted = client.post(path, {"full_name": "Olga Owner", "password": "a-new-pass-word-9",
                                  "password_again": "a-new-pass-word-9"},
                           HTTP_HOST="genpass.localhost")
    assert accepted.status_code == 302
    with schema_context("t_genpass"):
        owner = User.objects.get()
        assert owner.check_password("a-new-pass-word-9") and owner.full_name == "Olga Owner"
    connection.set_schema_to_public()
    # Used up: the link now says so, and another tenant's host does not know it at all.
    assert client.get(path, HTTP_HOST="genpass.localhost").status_code == 404
    assert client.get(path, HTTP_HOST="acme.localhost").status_code == 404


@pytest.mark.parametrize("slug,message", [
    ("www", "reserved"), ("api", "reserved"), ("admin", "reserved"), ("template", "reserved"),
    ("public", "reserved"), ("ab", "3 to 63"), ("a" * 64, "3 to 63"), ("Acme", "lowercase"),
    ("-acme", "DNS label"), ("acme-", "DNS label"), ("ac_me", "DNS label"),
    ("acme.co", "DNS label"), ("xn--acme", "hyphens"), ("ac me", "DNS label"), ("", "required"),
])
def test_bad_slugs_are_refused_with_a_message(db, slug, message):
    with pytest.raises(InvalidInput) as excinfo:
        tenant_provision(slug=slug, name="X", owner_email="o@x.example")
    assert message in " ".join(excinfo.value.fields["slug"])
    assert not Tenant.objects.filter(slug=slug).exists()


def test_duplicate_slug_is_refused(db, tenants):
    with pytest.raises(Conflict) as excinfo:
        tenant_provision(slug="acme", name="Again", owner_email="o@x.example")
    assert excinfo.value.code == "tenant_exists"


def test_taken_custom_domain_is_refused(db, tenants):
    Domain.objects.create(domain="shop.example", tenant=tenants["acme"], is_primary=False)
    with pytest.raises(Conflict) as excinfo:
        tenant_provision(slug="other", name="Other", owner_email="o@x.example",
                         domains=["shop.example"])
    assert excinfo.value.code == "domain_taken"
    assert _nothing_left("other")


@pytest.mark.parametrize("domain", ["not a domain", "UPPER.example", "localhost",
                                    "evil.localhost", "nodot"])
def test_bad_custom_domains_are_refused(db, domain):
    with pytest.raises(InvalidInput) as excinfo:
        tenant_provision(slug="okslug", name="Ok", owner_email="o@x.example", domains=[domain])
    assert "domains" in excinfo.value.fields


def test_bad_email_and_name_are_reported_together(db):
    with pytest.raises(InvalidInput) as excinfo:
        tenant_provision(slug="okslug", name="  ", owner_email="not-an-email")
    assert set(excinfo.value.fields) == {"name", "owner_email"}


STEP_NAMES = [name for name, _ in provisioning.STEPS if name != "validate"]


@pytest.mark.parametrize("failing_step", STEP_NAMES)
def test_a_failure_at_any_step_leaves_no_half_tenant(db, monkeypatch, failing_step):
    def boom(ctx):
        raise RuntimeError(f"injected failure in {failing_step}")

    steps = [(name, boom if name == failing_step else fn) for name, fn in provisioning.STEPS]
    monkeypatch.setattr(provisioning, "STEPS", steps)
    with pytest.raises(ProvisioningFailed) as excinfo:
        tenant_provision(slug="fragile", name="Fragile", owner_email="o@fragile.example")
    assert excinfo.value.step == failing_step
    assert excinfo.value.rolled_back
    assert _nothing_left("fragile")


def test_failure_after_the_schema_step_also_drops_the_schema(db, monkeypatch):
    """The owner step fails after the schema exists: the schema must be gone too."""
    seen = {}

    def failing_owner(ctx):
        seen["schema_existed"] = schema_exists(ctx.tenant.schema_name)
        raise RuntimeError("owner creation failed")

    steps = [(n, failing_owner if n == "create_owner" else f) for n, f in provisioning.STEPS]
    monkeypatch.setattr(provisioning, "STEPS", steps)
    with pytest.raises(ProvisioningFailed):
        tenant_provision(slug="halfway", name="Half", owner_email="o@half.example")
    assert seen["schema_existed"]
    assert _nothing_left("halfway")


def test_interrupted_run_is_resumable_and_says_where_it_stopped(db, monkeypatch):
    """A process killed mid-pipeline (no rollback ran) leaves a tenant in provisioning with its
    last step recorded; resuming carries on from there."""

    class Killed(BaseException):  # not an Exception: the pipeline's rollback does not run
        pass

    def killed(ctx):
        raise Killed()

    steps = [(n, killed if n == "create_domains" else f) for n, f in provisioning.STEPS]
    monkeypatch.setattr(provisioning, "STEPS", steps)
    with pytest.raises(Killed):
        tenant_provision(slug="resumable", name="Res", owner_email="o@res.example",
                         owner_password="pw-long-enough-1")
    tenant = Tenant.objects.get(slug="resumable")
    assert tenant.state == "provisioning"
    assert tenant.provisioning_step == "create_owner"
    monkeypatch.undo()

    with pytest.raises(Conflict):
        tenant_provision(slug="resumable", name="Res", owner_email="o@res.example")
    ctx = tenant_provision(slug="resumable", name="Res", owner_email="o@res.example",
                           owner_password="pw-long-enough-1", resume=True)
    assert ctx.tenant.state == "active"
    assert Domain.objects.filter(tenant=ctx.tenant, is_primary=True).exists()
    with schema_context("t_resumable"):
        assert User.objects.count() == 1  # the owner was not created twice


def test_tenant_command_create_list_suspend_activate_delete(db):
    out = io.StringIO()
    call_command("tenant", "create", "cli-co", "--name", "CLI Co", "--owner-email",
                 "o@cli.example", stdout=out)
    text = out.getvalue()
    assert "Tenant 'cli-co' is active at cli-co.localhost" in text
    assert "invitation link (valid 7 days): http://cli-co.localhost/invitations/" in text
    assert "password" not in text.lower()

    out = io.StringIO()
    call_command("tenant", "list", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["SLUG", "NAME", "STATE", "SCHEMA", "DOMAINS", "CREATED", "NOTE"]
    assert any(line.startswith("cli-co") and "active" in line for line in lines)

    call_command("tenant", "suspend", "cli-co", stdout=io.StringIO())
    assert Tenant.objects.get(slug="cli-co").state == "suspended"
    call_command("tenant", "activate", "cli-co", stdout=io.StringIO())
    assert Tenant.objects.get(slug="cli-co").state == "active"

    with pytest.raises(CommandError, match="--yes"):
        call_command("tenant", "delete", "cli-co", stdout=io.StringIO())
    assert Tenant.objects.filter(slug="cli-co").exists()
    with pytest.raises(CommandError, match="suspend or archive it"):  # active: refused
        call_command("tenant", "delete", "cli-co", "--yes", stdout=io.StringIO())
    call_command("tenant", "suspend", "cli-co", stdout=io.StringIO())
    call_command("tenant", "delete", "cli-co", "--yes", stdout=io.StringIO())
    assert _nothing_left("cli-co")


def test_tenant_command_reports_bad_input_without_traceback(db):
    with pytest.raises(CommandError, match="reserved"):
        call_command("tenant", "create", "www", "--name", "W", "--owner-email", "o@w.example")
    with pytest.raises(CommandError, match="No tenant 'ghost'"):
        call_command("tenant", "suspend", "ghost")


def test_replayed_schema_is_identical_to_the_template(db):
    """Structure (names of constraints and indexes included, so later migrations that refer to
    them by name work) and rows."""
    from tenants.schema.create import schema_create
    from tests.schema_fingerprint import fingerprint_differences, schema_fingerprint

    schema_create("t_replayed", method="replay")  # the schema step alone: no owner row yet
    connection.set_schema_to_public()
    assert fingerprint_differences(schema_fingerprint("tenant_template"),
                                   schema_fingerprint("t_replayed")) == []


def test_replayed_schema_matches_a_migrated_one(db):
    from tests.schema_fingerprint import fingerprint_differences, schema_fingerprint

    for slug, method in (("by-replay", "replay"), ("by-migrate", "migrate")):
        tenant_provision(slug=slug, name=slug, owner_email="o@x.example",
                         owner_password="pw-long-enough-1", schema_method=method)
    connection.set_schema_to_public()
    differences = fingerprint_differences(
        schema_fingerprint("t_by_replay", with_rows=False),
        schema_fingerprint("t_by_migrate", with_rows=False))
    assert differences == []


def test_a_template_the_replay_cannot_copy_is_cloned_instead_never_copied_short(db, caplog):
    """A migration that adds, say, a view must make provisioning slower, never wrong."""
    from tenants.schema.create import schema_create

    with connection.cursor() as cursor:
        cursor.execute("CREATE VIEW tenant_template.active_users AS "
                       "SELECT id, email FROM tenant_template.accounts_user WHERE is_active")
    try:
        with caplog.at_level("WARNING", logger="tenants.schema.create"):
            schema_create("t_with_view", method="replay")
        connection.set_schema_to_public()
        assert "cloning instead" in caplog.text and "active_users" in caplog.text
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_views WHERE schemaname = 't_with_view' "
                           "AND viewname = 'active_users'")
            assert cursor.fetchone() is not None
    finally:  # committed on Citus: the template must not keep it
        with connection.cursor() as cursor:
            cursor.execute("DROP VIEW IF EXISTS tenant_template.active_users")


_EMAIL_COLUMN = "attrelid = 'tenant_template.accounts_user'::regclass AND attname = 'email'"


@pytest.mark.skipif(settings.TENANT_DISTRIBUTION == "citus",
                    reason="Citus refuses ALTER COLUMN ... SET on a distributed schema's table")
def test_a_column_statistics_option_makes_the_replay_clone(db, caplog):
    """``ALTER COLUMN ... SET (n_distinct = ...)`` is part of a table's definition, which the
    replay does not copy: it clones."""
    from tenants.schema.create import schema_create

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE tenant_template.accounts_user "
                       "ALTER COLUMN email SET (n_distinct = 100)")
    try:
        with caplog.at_level("WARNING", logger="tenants.schema.create"):
            schema_create("t_with_stats", method="replay")
        assert "cloning instead" in caplog.text and "accounts_user.email" in caplog.text
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE pg_attribute SET attoptions = NULL WHERE {_EMAIL_COLUMN}")  # noqa: S608


def test_a_column_option_no_alter_can_set_does_not_stop_the_replay(db, caplog):
    """Some PostgreSQL builds stamp every column with an option of their own (a Debian 15.20:
    ``pg_attver=...``), simulated here by writing the catalog: the replay goes on."""
    from tenants.schema.create import schema_create

    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE pg_attribute SET attoptions = '{{pg_attver=1}}' "  # noqa: S608
                       f"WHERE {_EMAIL_COLUMN}")
    try:
        with caplog.at_level("WARNING", logger="tenants.schema.create"):
            schema_create("t_with_stamp", method="replay")
        assert "cloning instead" not in caplog.text
        assert schema_exists("t_with_stamp")
    finally:  # committed on Citus: the template must not keep it
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE pg_attribute SET attoptions = NULL WHERE {_EMAIL_COLUMN}")  # noqa: S608
