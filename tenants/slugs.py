"""What a tenant slug may be. The slug becomes a DNS label and, derived, a schema name, so it is
validated here before it reaches either."""

import re

from django.core.exceptions import ValidationError

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")

# Hosts the platform itself uses or that users would mistake for the platform's own.
RESERVED_SLUGS = frozenset(
    {
        "www", "api", "admin", "console", "static", "media", "mail", "email", "smtp", "imap",
        "pop", "ftp", "public", "template", "tenant", "tenants", "app", "apps", "auth", "login",
        "logout", "account", "accounts", "billing", "status", "help", "support", "docs", "blog",
        "cdn", "assets", "dev", "staging", "test", "ns1", "ns2", "dns", "root", "system",
        "platform", "operator", "operators", "healthz", "readyz", "localhost", "webhooks",
        "information_schema",
    }
)


def validate_tenant_slug(slug: str) -> None:
    if not isinstance(slug, str) or not slug:
        raise ValidationError("A slug is required.", code="required")
    if slug != slug.lower():
        raise ValidationError("Use lowercase letters only.", code="invalid")
    if not 3 <= len(slug) <= 63:
        raise ValidationError("A slug is 3 to 63 characters long.", code="invalid")
    if not SLUG_PATTERN.match(slug):
        raise ValidationError(
            "A slug is a DNS label: letters a-z, digits and inner hyphens (not first or last).",
            code="invalid",
        )
    if slug[2:4] == "--":
        # "xn--" and friends are punycode; a tenant slug is never one.
        raise ValidationError("A slug may not have hyphens in its third and fourth places.",
                              code="invalid")
    if slug in RESERVED_SLUGS or slug.startswith("pg-"):
        raise ValidationError(f"'{slug}' is reserved by the platform.", code="reserved")


def schema_name_for_slug(slug: str) -> str:
    # A "t_" prefix keeps tenant schemas apart from public, pg_* and the template schema.
    return "t_" + slug.replace("-", "_")
