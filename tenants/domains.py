"""Custom domains: proof of ownership by DNS, and the answer to a TLS proxy's "may I get a
certificate for this name?".

A custom domain is added ``pending`` with a random token. Its owner creates

    _saas-verify.<domain>  TXT    <token>
    <domain>               CNAME  <CUSTOM_DOMAIN_CNAME_TARGET>

and the periodic check (every 5 minutes, public beat entry ``domains-verify``) or an operator's
"check now" finds the token with dnspython and marks it ``verified``: only then does the router
send the host to the tenant, and only then does the TLS ask endpoint allow a certificate. The
check keeps running for verified domains: a TXT record removed later is noticed, the owner is
e-mailed, and after DOMAIN_SUSPEND_GRACE_HOURS without it the domain is ``suspended`` (no
longer routed; verified again as soon as the record is back). A DNS failure (timeout, no
nameserver answering) changes nothing: only an answer without the token counts as missing.

Subdomains of BASE_DOMAIN are the platform's own and need no verification.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import dns.exception
import dns.resolver
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.audit.services import platform_audit
from tenant_apps.core.errors import Conflict, InvalidInput, NotFound
from tenants.models import Domain, DomainStatus, Tenant, TenantState

logger = logging.getLogger(__name__)

TXT_PREFIX = "_saas-verify"


def _is_dns_label(label: str) -> bool:
    return (1 <= len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
            and not label.startswith("-") and not label.endswith("-"))


def domain_normalise(domain: str) -> str:
    name = (domain or "").strip().lower().rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_is_dns_label(x) for x in labels):
        raise InvalidInput(fields={"domain": [f"'{domain}' is not a valid host name."]})
    if name in settings.PUBLIC_HOSTS or name.endswith(f".{settings.BASE_DOMAIN}"):
        raise InvalidInput(fields={"domain": [
            f"'{name}' is under the platform's own domain and needs no custom domain."]})
    return name


def _alias(name: str) -> str:
    """The ``www.`` twin of a name (the router serves ``www.<domain>`` as ``<domain>``)."""
    return name[4:] if name.startswith("www.") else f"www.{name}"


@dataclass(frozen=True)
class DnsInstructions:
    txt_name: str
    txt_value: str
    cname_name: str
    cname_target: str


def domain_instructions(domain: Domain) -> DnsInstructions:
    return DnsInstructions(txt_name=f"{TXT_PREFIX}.{domain.domain}",
                           txt_value=domain.verification_token,
                           cname_name=domain.domain, cname_target=cname_target())


def cname_target() -> str:
    return settings.CUSTOM_DOMAIN_CNAME_TARGET or f"domains.{settings.BASE_DOMAIN}"


def _canonical(name: str) -> str:
    return name[4:] if name.startswith("www.") else name


def domains_lock(names: list[str]) -> None:
    """Serialise, until the end of the current transaction, every change that could give one of
    ``names`` or its ``www.`` twin to a tenant: a transaction-scoped advisory lock per pair,
    taken in a fixed order (no deadlock between two callers). Row locks cannot do it: the twin
    being added concurrently has no row yet."""
    keys = sorted({_canonical(name) for name in names})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                           [f"domain:{key}"])


def domains_held_elsewhere(*, names: list[str], tenant_id: int | None) -> list[str]:
    """Those of ``names`` that another tenant than ``tenant_id`` holds, itself or through its
    ``www.`` twin: the two must belong to one tenant whatever path adds them (provisioning,
    the operator API and CLI, the tenant's own domain pages and API, the console's form)."""
    return Domain.held_elsewhere(names, tenant_id)


def domains_check_free(*, names: list[str], tenant_id: int | None, field: str) -> None:
    """Conflict (``domain_taken``, a field error on ``field``) when another tenant holds one of
    ``names`` or its ``www.`` twin."""
    taken = domains_held_elsewhere(names=names, tenant_id=tenant_id)
    if taken:
        raise Conflict("Domain already in use: " + ", ".join(taken), code="domain_taken",
                       fields={field: [f"{name} (or its www. alias) belongs to another tenant."
                                       for name in taken]})


def domain_add(*, tenant: Tenant, domain: str) -> Domain:
    """Add a custom domain to a tenant, unverified. A domain and its ``www.`` alias belong to
    one tenant: adding either when the other is another tenant's is a 409."""
    name = domain_normalise(domain)
    with transaction.atomic():
        domains_lock([name])
        domains_check_free(names=[name], tenant_id=tenant.pk, field="domain")
        existing = tenant.domains.filter(domain=name).first()
        if existing is not None:
            return existing
        created = Domain.objects.create(domain=name, tenant=tenant, is_primary=False)
        platform_audit("tenant.domain_add", target=tenant.slug, detail={"domain": name})
        return created


def platform_subdomain(tenant: Tenant) -> str:
    return f"{tenant.slug}.{settings.BASE_DOMAIN}"


def domain_remove(*, tenant: Tenant, domain: str) -> None:
    found = Domain.objects.filter(tenant=tenant, domain=domain).first()
    if found is None:
        raise NotFound(f"No domain {domain} for this tenant.", code="domain_not_found")
    if found.is_primary:
        raise Conflict("The primary domain cannot be removed; make another one primary first.",
                       code="domain_primary")
    if found.domain == platform_subdomain(tenant):
        # Invitation links and the fallback address use it; it goes with the tenant only.
        raise Conflict(f"{found.domain} is the tenant's platform address and cannot be removed.",
                       code="domain_platform")
    with transaction.atomic():
        found.delete()
        platform_audit("tenant.domain_remove", target=tenant.slug,
                       detail={"domain": found.domain})


def domain_set_primary(*, tenant: Tenant, domain: str) -> Domain:
    """Make ``domain`` the tenant's primary address (the one links and the console show). A
    custom domain must be verified first: a primary address that does not route would send
    every link to a 404."""
    with transaction.atomic():
        found = (Domain.objects.select_for_update()
                 .filter(tenant=tenant, domain=(domain or "").strip().lower()).first())
        if found is None:
            raise NotFound(f"No domain {domain} for this tenant.", code="domain_not_found")
        if found.is_primary:
            return found
        if found.domain != platform_subdomain(tenant) and found.status != DomainStatus.VERIFIED:
            raise Conflict(f"{found.domain} is not verified yet; verify it before making it "
                           "primary.", code="domain_unverified",
                           fields={"domain": ["Only a verified domain can be primary."]})
        previous = (Domain.objects.filter(tenant=tenant, is_primary=True)
                    .values_list("domain", flat=True).first())
        # django-tenants' DomainMixin.save() takes the flag off the tenant's other domains;
        # save() also invalidates the routing caches on commit.
        found.is_primary = True
        found.save()
        platform_audit("tenant.domain_primary", target=tenant.slug,
                       detail={"domain": found.domain, "previous": previous})
        return found


# -- DNS ----------------------------------------------------------------------------------------
class DnsUnavailable(Exception):
    """No answer could be had (timeout, no server): the record's state is unknown."""


def _resolver() -> dns.resolver.Resolver:
    servers = settings.DOMAIN_VERIFY_NAMESERVERS
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = []
        for server in servers:
            host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
            resolver.nameservers.append(host or server)
            if port:
                resolver.port = int(port)
    resolver.lifetime = settings.DOMAIN_VERIFY_TIMEOUT_SECONDS
    resolver.cache = None
    return resolver


def txt_values(name: str) -> list[str]:
    """The TXT strings at ``name`` ([] when the name or the record does not exist)."""
    try:
        answer = _resolver().resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout,
            OSError) as exc:
        raise DnsUnavailable(str(exc)[:200]) from None
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


# -- checks -------------------------------------------------------------------------------------
def _grace() -> dt.timedelta:
    return dt.timedelta(hours=settings.DOMAIN_SUSPEND_GRACE_HOURS)


def domain_check(*, domain: Domain, now: dt.datetime | None = None) -> Domain:
    """Look the TXT record up once and move the domain's state accordingly."""
    now = now or timezone.now()
    domain.last_checked_at = now
    try:
        values = txt_values(f"{TXT_PREFIX}.{domain.domain}")
    except DnsUnavailable as exc:
        domain.last_check_error = f"DNS lookup failed: {exc}"[:300]
        domain.save(update_fields=["last_checked_at", "last_check_error"])
        return domain
    previous = domain.status
    if domain.verification_token in values:
        domain.status = DomainStatus.VERIFIED
        domain.verified_at = domain.verified_at if previous == DomainStatus.VERIFIED else now
        domain.txt_missing_since = None
        domain.last_check_error = ""
    else:
        domain.last_check_error = (
            f"The TXT record {TXT_PREFIX}.{domain.domain} holds other values."
            if values else f"No TXT record {TXT_PREFIX}.{domain.domain} was found.")
        if previous == DomainStatus.VERIFIED:
            if domain.txt_missing_since is None:
                domain.txt_missing_since = now
                _tell_owner(domain, "is missing its verification record", now + _grace())
            elif now - domain.txt_missing_since >= _grace():
                domain.status = DomainStatus.SUSPENDED
                _tell_owner(domain, "was suspended", None)
    # save(): the routing cache is invalidated on commit when the state moved.
    domain.save()
    if domain.status != previous:
        logger.info("Domain %s: %s -> %s", domain.domain, previous, domain.status)
    return domain


def domains_check_all(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic job: every custom domain of a live tenant (the platform's subdomains need
    no check)."""
    counts = {status: 0 for status in DomainStatus.values}
    custom = (Domain.objects.select_related("tenant")
              .exclude(domain__endswith=f".{settings.BASE_DOMAIN}")
              .exclude(tenant__state=TenantState.ARCHIVED))
    for domain in custom:
        counts[domain_check(domain=domain, now=now).status] += 1
    return counts


def _owner_emails(tenant: Tenant) -> list[str]:
    from shared_apps.accounts.models import User

    if tenant.state not in (TenantState.ACTIVE, TenantState.SUSPENDED):
        return []
    with schema_context(tenant.schema_name):
        return list(User.objects.filter(role="owner", is_active=True)
                    .values_list("email", flat=True))


def _tell_owner(domain: Domain, what: str, deadline: dt.datetime | None) -> None:
    recipients = _owner_emails(domain.tenant)
    if not recipients:
        return
    info = domain_instructions(domain)
    lines = [f"The custom domain {domain.domain} of {domain.tenant.name} {what}.", "",
             f"Expected DNS record: {info.txt_name} TXT {info.txt_value}"]
    if deadline is not None:
        lines.append(f"Unless the record is back by {deadline:%Y-%m-%d %H:%M} UTC, the domain "
                     "will be suspended and stop serving your site.")
    else:
        lines.append("The site no longer answers on this domain; it comes back as soon as "
                     "the record is in place again.")
    transaction.on_commit(lambda: send_mail(
        subject=f"Custom domain {domain.domain}: {what}", message="\n".join(lines),
        from_email=None, recipient_list=recipients, fail_silently=True))


# -- TLS on demand --------------------------------------------------------------------------------
def tls_allowed(host: str) -> bool:
    """Whether the TLS proxy may obtain a certificate for ``host``: the public hosts, the
    subdomains of active tenants, and verified custom domains (and their www. alias) of active
    tenants. Anything else (a random name pointed at us, a pending domain) is refused, so
    nobody can make the proxy request certificates for names that are not ours to serve."""
    name = (host or "").strip().lower().rstrip(".")
    if not name or len(name) > 253:
        return False
    if name in settings.PUBLIC_HOSTS:
        return True
    candidates = [name, name[4:]] if name.startswith("www.") else [name]
    for domain in Domain.objects.select_related("tenant").filter(domain__in=candidates):
        if domain.tenant.state != TenantState.ACTIVE:
            continue
        if domain.domain.endswith(f".{settings.BASE_DOMAIN}"):
            return domain.domain == name  # no www. twin for the platform's own subdomains
        if domain.status == DomainStatus.VERIFIED:
            return True
    return False
