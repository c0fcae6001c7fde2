"""Sign-up: check a subdomain, start the provisioning job of a new workspace, read its progress;
"Find my workspace": queue the e-mail that lists an address's workspaces. The rules are the
provisioning pipeline's own (tenants.provisioning.registration_errors / registration_check_free:
the slug rules of tenants.slugs, taken and reserved names), so sign-up and operators agree."""

from __future__ import annotations

from dataclasses import dataclass

from celery.result import AsyncResult
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tenant_apps.core.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from tenants.models import Domain, Tenant
from tenants.provisioning import registration_check_free, registration_errors
from tenants.slugs import validate_tenant_slug


@dataclass
class SlugCheck:
    available: bool
    message: str


def signup_slug_check(*, slug: str) -> SlugCheck:
    slug = (slug or "").strip()
    host = f"{slug}.{settings.BASE_DOMAIN}"
    try:
        validate_tenant_slug(slug)
    except ValidationError as exc:
        return SlugCheck(False, " ".join(exc.messages))
    if Tenant.objects.filter(slug=slug).exists() or Domain.objects.filter(domain=host).exists():
        return SlugCheck(False, f"{host} is taken.")
    return SlugCheck(True, f"{host} is available.")


def signup_start(*, name: str, slug: str, email: str, link_origin: str) -> str:
    """Validate (field messages), then queue the provisioning job; returns its id. The new
    owner gets the invitation link by e-mail only: that proves the address is theirs."""
    from tenants.tasks import provision_tenant

    name, slug, email = (name or "").strip(), (slug or "").strip(), (email or "").strip().lower()
    errors = registration_errors(slug=slug, name=name, domains=[])
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    if errors:
        raise InvalidInput(fields=errors)
    try:
        registration_check_free(slug=slug, domains=[])
    except Conflict as exc:
        raise InvalidInput(exc.message, fields={"slug": [f"{slug}.{settings.BASE_DOMAIN} is "
                                                         "taken."]}) from exc
    try:
        result = provision_tenant.delay(slug=slug, name=name, owner_email=email,
                                        link_origin=link_origin)
    except Exception as exc:  # the broker is down
        raise ServiceUnavailable() from exc
    return result.id


@dataclass
class SignupProgress:
    state: str  # "running", "done" or "failed"
    step: str
    percent: int
    slug: str = ""
    message: str = ""


STEP_LABELS = {"validate": "Checking the details", "create_row": "Registering the workspace",
               "create_schema": "Creating its database", "create_owner": "Creating your account",
               "create_domains": "Setting up its address", "activate": "Switching it on"}


def signup_progress(*, job_id: str) -> SignupProgress:
    import uuid

    try:
        uuid.UUID(job_id)
    except ValueError as exc:
        raise NotFound("No such sign-up.") from exc
    result = AsyncResult(job_id)
    if result.state == "SUCCESS":
        return SignupProgress("done", "Ready", 100, slug=(result.result or {}).get("slug", ""))
    if result.state == "FAILURE":
        cause = result.result
        message = getattr(cause, "message", "") or "The workspace could not be created."
        if "exists" in str(cause) or "taken" in str(cause):
            message = "That subdomain was taken a moment ago: choose another."
        return SignupProgress("failed", "Failed", 100, message=message)
    meta = result.info if isinstance(result.info, dict) else {}
    index, total = meta.get("index") or 0, meta.get("total") or 6
    return SignupProgress("running", STEP_LABELS.get(meta.get("step"), "Waiting to start"),
                          int(100 * index / (total + 1)))


def workspaces_find_start(*, email: str, scheme: str, port: str) -> None:
    from tenants.tasks import find_workspaces

    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(fields={"email": ["Enter a valid email address."]}) from exc
    try:
        find_workspaces.delay(email=email, scheme=scheme, port=port)
    except Exception as exc:
        raise ServiceUnavailable() from exc
