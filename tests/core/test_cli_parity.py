"""``manage.py tenant``'s parity with the console and the operator API: suspend with a reason,
show, domains (list/add/remove/primary), the delete rule, each action audited as cli:<login>."""

import getpass
import io

import pytest
from django.core.management import CommandError, call_command

from shared_apps.audit.models import PlatformAuditEntry
from tenants.models import Domain, Tenant


def _run(*args) -> str:
    out = io.StringIO()
    call_command("tenant", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def audit_since(db):
    start = PlatformAuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return lambda: list(PlatformAuditEntry.objects.filter(id__gt=start).order_by("id"))


def test_suspend_with_a_reason_and_show(audit_since):
    _run("suspend", "globex", "--reason", "Unpaid invoice")
    tenant = Tenant.objects.get(slug="globex")
    assert tenant.state == "suspended" and tenant.suspension_reason == "Unpaid invoice"
    shown = _run("show", "globex")
    assert "suspension reason: Unpaid invoice" in shown and "globex.localhost" in shown
    _run("activate", "globex")
    entries = audit_since()
    assert [e.action for e in entries] == ["tenant.suspend", "tenant.activate"]
    assert {e.actor for e in entries} == {f"cli:{getpass.getuser()}"}
    assert entries[0].detail["reason"] == "Unpaid invoice"


def test_domains_list_add_primary_remove(audit_since):
    added = _run("domains", "add", "acme", "Shop.Acme-Corp.example")
    assert "Domain shop.acme-corp.example added to 'acme' (pending)" in added
    assert "_saas-verify.shop.acme-corp.example TXT" in added
    listing = _run("domains", "list", "acme").splitlines()
    assert listing[0].split() == ["DOMAIN", "PRIMARY", "STATUS"]
    assert any(line.startswith("acme.localhost") and "primary" in line for line in listing)
    with pytest.raises(CommandError, match="not verified"):
        _run("domains", "primary", "acme", "shop.acme-corp.example")
    Domain.objects.filter(domain="shop.acme-corp.example").update(status="verified")
    _run("domains", "primary", "acme", "shop.acme-corp.example")
    assert Domain.objects.get(domain="shop.acme-corp.example").is_primary
    with pytest.raises(CommandError, match="primary domain cannot be removed"):
        _run("domains", "remove", "acme", "shop.acme-corp.example")
    _run("domains", "primary", "acme", "acme.localhost")
    _run("domains", "remove", "acme", "shop.acme-corp.example")
    assert not Domain.objects.filter(domain="shop.acme-corp.example").exists()
    with pytest.raises(CommandError, match="No domain"):
        _run("domains", "remove", "acme", "shop.acme-corp.example")
    assert [e.action for e in audit_since()] == [
        "tenant.domain_add", "tenant.domain_primary", "tenant.domain_primary",
        "tenant.domain_remove"]
    assert all(e.actor.startswith("cli:") for e in audit_since())


def test_list_searches_by_owner_email(db):
    lines = _run("list", "--search", "owner@glob").splitlines()
    assert [line.split()[0] for line in lines[1:-1]] == ["globex"]
    assert lines[-1] == "1 tenant(s)"


def test_delete_refuses_an_active_tenant(audit_since):
    with pytest.raises(CommandError, match="suspend or archive it"):
        _run("delete", "initech", "--yes")
    assert Tenant.objects.filter(slug="initech").exists() and audit_since() == []
    with pytest.raises(CommandError, match="No tenant"):
        _run("domains", "list", "ghost")
