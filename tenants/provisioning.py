"""The provisioning pipeline: named, idempotent steps that turn a request into an active tenant.

    validate -> create_row -> create_schema -> create_owner -> create_domains -> activate

``create_row`` also creates the primary domain, so the host answers 503 ``tenant_provisioning``
from the start. A run holds an advisory lock (tenants.locks) while it runs; the sweeper resumes
a tenant left in ``provisioning`` whose lock is free (``provisioning_resume_stuck``).

The owner gets an invitation link (``ctx.invitation_url``), not a password: provisioning never
hashes one (an explicit ``owner_password``, for tests and the demo tenants, is the exception).
With a ready schema in the pool (tenants/fleet/pool.py) the whole pipeline is one short transaction:
claim the schema (a rename), the row, the domains, the owner and the invitation.

Each step records itself in ``Tenant.provisioning_step`` once done, so a run that was cut off
(process killed) can be resumed with ``resume=True``: done steps are skipped, the rest run. A step
that *fails* rolls back everything done so far (domains, schema, row), so a failure leaves no
half tenant; if the rollback itself fails, the row stays in state ``provisioning`` with the error
in ``provisioning_error``, and ``tenant delete`` or a resumed run finishes the job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django_tenants.utils import schema_context, schema_exists

from tenant_apps.core.errors import Conflict, InvalidInput
from tenants.domains import domains_check_free, domains_lock
from tenants.locks import run_in_progress, run_lock
from tenants.models import Domain, Plan, Tenant, TenantState
from tenants.schema.create import schema_create, schema_drop
from tenants.slugs import schema_name_for_slug, validate_tenant_slug

logger = logging.getLogger(__name__)


class ProvisioningFailed(Exception):
    def __init__(self, step: str, cause: BaseException, rolled_back: bool) -> None:
        self.step = step
        self.cause = cause
        self.rolled_back = rolled_back
        outcome = "rolled back" if rolled_back else "NOT rolled back (tenant left in provisioning)"
        super().__init__(f"Provisioning failed at step '{step}': {cause}; {outcome}")

    def __reduce__(self):
        # Rebuilt from its three arguments, not from the message: a failure raised in a
        # worker process (Celery, a multiprocessing pool) must cross the pickle boundary,
        # where the default (cls(*self.args)) raised TypeError and lost the error.
        return (type(self), (self.step, self.cause, self.rolled_back))


@dataclass
class ProvisionRequest:
    slug: str
    name: str
    owner_email: str
    owner_password: str | None = None
    domains: list[str] = field(default_factory=list)
    schema_method: str | None = None
    # The origin of the tenant's host for the owner's link (``http://initech.localhost:8000``);
    # None: ``tenant_origin`` from the settings. Self-serve sign-up passes the public host's.
    link_origin: str | None = None
    plan: str | None = None  # a plan's slug; None: the default plan (tenants/plans/)


@dataclass
class ProvisionContext:
    request: ProvisionRequest
    tenant: Tenant | None = None
    # <origin>/invitations/<token>: the owner sets a password there (shown once, and e-mailed
    # to the owner: ``invitation_emailed``).
    invitation_url: str = ""
    invitation_emailed: bool = False
    from_pool: bool = False
    progress: Callable[[str, int, int], None] | None = None


def validate_request(ctx: ProvisionContext) -> None:
    """The ``validate`` step: raises InvalidInput / Conflict with field messages; writes
    nothing, so callers may run it up front to answer bad input at once."""
    req = ctx.request
    errors = registration_errors(slug=req.slug, name=req.name, domains=req.domains)
    try:
        validate_email(req.owner_email)
    except ValidationError:
        errors["owner_email"] = ["Enter a valid email address."]
    if req.plan is not None and not Plan.objects.filter(slug=req.plan).exists():
        known = ", ".join(Plan.objects.values_list("slug", flat=True))
        errors["plan"] = [f"Unknown plan '{req.plan}'. Plans: {known}."]
    if errors:
        raise InvalidInput(fields=errors)
    registration_check_free(slug=req.slug, domains=req.domains, resuming=ctx.tenant is not None)


def registration_errors(*, slug: str, name: str, domains: list[str]) -> dict[str, list[str]]:
    """What is wrong with a tenant's slug, name and custom domains, by field (empty: fine).
    Shared by provisioning and by restoring an archive without a registry row."""
    errors: dict[str, list[str]] = {}
    try:
        validate_tenant_slug(slug)
    except ValidationError as exc:
        errors["slug"] = exc.messages
    if not name or not name.strip():
        errors["name"] = ["A name is required."]
    elif len(name) > 200:
        errors["name"] = ["At most 200 characters."]
    domain_errors = [msg for d in domains for msg in _domain_problems(d)]
    if domain_errors:
        errors["domains"] = domain_errors
    return errors


def registration_check_free(*, slug: str, domains: list[str], resuming: bool = False) -> None:
    """Conflict unless the slug (when not ``resuming`` its own run) and every address the
    tenant would get are free."""
    existing = Tenant.objects.filter(slug=slug).first()
    if existing is not None and not resuming:
        raise Conflict(f"A tenant with slug '{slug}' already exists ({existing.state}).",
                       code="tenant_exists", fields={"slug": ["This slug is taken."]})
    wanted = [f"{slug}.{settings.BASE_DOMAIN}", *domains]
    # A custom domain's www. twin counts: it is served as the domain (tenants/domains.py).
    domains_check_free(names=wanted, tenant_id=existing.pk if existing else None,
                       field="domains")


def _domain_problems(domain: str) -> list[str]:
    labels = domain.split(".")
    if (len(domain) > 253 or len(labels) < 2 or domain != domain.lower()
            or not all(_is_dns_label(label) for label in labels)):
        return [f"'{domain}' is not a valid lowercase host name."]
    if domain in settings.PUBLIC_HOSTS or domain.endswith("." + settings.BASE_DOMAIN):
        return [f"'{domain}' is under the platform's own domain; use the slug instead."]
    return []


def _is_dns_label(label: str) -> bool:
    return 1 <= len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() \
        and not label.startswith("-") and not label.endswith("-")


def _create_row(ctx: ProvisionContext) -> None:
    """The row, with its primary domain in the same transaction: from the moment the tenant
    exists its host answers 503 ``tenant_provisioning`` (not 404), even if the run is killed.
    An explicit owner password (tests, the demo tenants) is kept as a hash, so that a resumed
    run gives the owner the password the operator chose; without one nothing is hashed."""
    from django.contrib.auth.hashers import make_password

    req = ctx.request
    password_hash = make_password(req.owner_password) if req.owner_password else ""
    with transaction.atomic():
        ctx.tenant = Tenant.objects.create(
            slug=req.slug, name=req.name.strip(), schema_name=schema_name_for_slug(req.slug),
            state=TenantState.PROVISIONING, owner_email=req.owner_email,
            plan=_requested_plan(req),
            provisioning_request={"owner_email": req.owner_email, "domains": req.domains,
                                  "schema_method": req.schema_method,
                                  "owner_password_hash": password_hash},
        )
        domains_create(tenant=ctx.tenant, custom=[])


def _requested_plan(req: ProvisionRequest) -> Plan | None:
    """The plan asked for, else the default one (validated already)."""
    if req.plan is not None:
        return Plan.objects.get(slug=req.plan)
    return Plan.objects.filter(is_default=True).first()


def _create_schema(ctx: ProvisionContext) -> None:
    schema_name = ctx.tenant.schema_name
    if schema_exists(schema_name):
        # A previous run died while creating it: its state is unknown, so start it over.
        schema_drop(schema_name)
    schema_create(schema_name, method=ctx.request.schema_method)


def _create_owner(ctx: ProvisionContext) -> None:
    with schema_context(ctx.tenant.schema_name):
        _owner_create_in_schema(ctx)


def _owner_create_in_schema(ctx: ProvisionContext) -> None:
    """The owner's account, in the current schema: with the explicit ``owner_password`` (tests,
    demo) or with an unusable one and an invitation (no hashing: nothing slow here)."""
    from shared_apps.accounts.models import Role, User
    from tenant_apps.core.mail import invitation_email_send
    from tenant_apps.core.services.invitations import invitation_create, invitation_link

    req = ctx.request
    password_hash = (ctx.tenant.provisioning_request or {}).get("owner_password_hash", "")
    user = User.objects.filter(email__iexact=req.owner_email).first()
    if user is None:
        # No password: an unusable one (no hashing); an explicit one arrives hashed already.
        user = User.objects.create_user(email=req.owner_email, password=None, role=Role.OWNER)
        if password_hash:
            user.password = password_hash
            user.save(update_fields=["password"])
    if not user.has_usable_password():
        invitation, raw_token = invitation_create(email=req.owner_email, role=Role.OWNER)
        origin = req.link_origin or tenant_origin(req.slug)
        ctx.invitation_url = invitation_link(base_url=origin, raw_token=raw_token)
        try:
            invitation_email_send(invitation=invitation, link=ctx.invitation_url,
                                  workspace_name=req.name.strip())
        except Exception:  # no mail server: the operator still has the link to pass on
            logger.exception("Could not e-mail the owner's invitation for %s", req.slug)
        else:
            ctx.invitation_emailed = True


def tenant_origin(slug: str) -> str:
    """``<SITE_SCHEME>://<slug>.<BASE_DOMAIN>[:SITE_PORT]``: the tenant's address in links sent
    without a request at hand (CLI, operator API job)."""
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{slug}.{settings.BASE_DOMAIN}{port}"


def _create_domains(ctx: ProvisionContext) -> None:
    domains_create(tenant=ctx.tenant, custom=ctx.request.domains)


def domains_create(*, tenant: Tenant, custom: list[str]) -> None:
    """The primary domain ``<slug>.<BASE_DOMAIN>`` and the custom ones (idempotent)."""
    primary = f"{tenant.slug}.{settings.BASE_DOMAIN}"
    with transaction.atomic():
        # Checked again under the lock: the validate step ran before, outside it.
        domains_lock([primary, *custom])
        domains_check_free(names=[primary, *custom], tenant_id=tenant.pk, field="domains")
        Domain.objects.get_or_create(domain=primary, defaults={"tenant": tenant,
                                                               "is_primary": True})
        for domain in custom:
            Domain.objects.get_or_create(domain=domain, defaults={"tenant": tenant,
                                                                  "is_primary": False})


def _activate(ctx: ProvisionContext) -> None:
    ctx.tenant.state = TenantState.ACTIVE
    ctx.tenant.provisioning_error = ""
    ctx.tenant.provisioning_request = {}  # the password hash, if any, is no longer needed
    with transaction.atomic():
        ctx.tenant.save(update_fields=["state", "provisioning_error", "provisioning_request",
                                       "updated_at"])
        _audit_created(ctx)


def _audit_created(ctx: ProvisionContext) -> None:
    """The ``tenant.create`` entry, once per tenant: written by the step that makes it active
    (a resumed run reaches it once), in that step's transaction."""
    from shared_apps.audit.services import platform_audit

    platform_audit("tenant.create", target=ctx.request.slug, detail={
        "name": ctx.request.name.strip(), "owner_email": ctx.request.owner_email,
        "domains": ctx.request.domains, "from_pool": ctx.from_pool})


# The pipeline, in order. Tests replace entries to inject failures at each step.
STEPS: list[tuple[str, Callable[[ProvisionContext], None]]] = [
    ("validate", validate_request),
    ("create_row", _create_row),
    ("create_schema", _create_schema),
    ("create_owner", _create_owner),
    ("create_domains", _create_domains),
    ("activate", _activate),
]


def _record_step(tenant: Tenant | None, step: str) -> None:
    if tenant is not None and tenant.pk:
        Tenant.objects.filter(pk=tenant.pk).update(provisioning_step=step)
        tenant.provisioning_step = step


def _rollback(ctx: ProvisionContext) -> None:
    """Undo every step: domains, schema, row. Idempotent."""
    tenant = ctx.tenant
    if tenant is None or not tenant.pk:
        return
    connection.set_schema_to_public()
    with transaction.atomic():
        Domain.objects.filter(tenant=tenant).delete()
        schema_drop(tenant.schema_name)
        Tenant.objects.filter(pk=tenant.pk).delete()


def tenant_provision(*, slug: str, name: str, owner_email: str,
                     owner_password: str | None = None, domains: list[str] | None = None,
                     schema_method: str | None = None, resume: bool = False,
                     progress: Callable[[str, int, int], None] | None = None,
                     link_origin: str | None = None,
                     plan: str | None = None) -> ProvisionContext:
    """Run the pipeline. With ``resume=True`` an existing tenant in state ``provisioning`` is
    carried on from the step after its last completed one. Returns the context (tenant, the
    owner's invitation link). A new tenant without an explicit password or schema method
    claims a ready schema from the pool when there is one."""
    request = ProvisionRequest(slug=slug, name=name, owner_email=owner_email.strip().lower(),
                               owner_password=owner_password, domains=list(domains or []),
                               schema_method=schema_method, link_origin=link_origin,
                               plan=plan)
    ctx = ProvisionContext(request=request, progress=progress)
    done: set[str] = set()
    if resume:
        ctx.tenant = Tenant.objects.filter(slug=slug).first()
        if ctx.tenant is None:
            raise InvalidInput(f"No tenant '{slug}' to resume.", code="tenant_not_found")
        if ctx.tenant.state != TenantState.PROVISIONING:
            raise Conflict(f"Tenant '{slug}' is {ctx.tenant.state}, not provisioning.",
                           code="not_provisioning")
        names = [name for name, _ in STEPS]
        if ctx.tenant.provisioning_step in names:
            done = set(names[: names.index(ctx.tenant.provisioning_step) + 1])
        done.add("create_row")

    connection.set_schema_to_public()
    if (not resume and owner_password is None and schema_method is None
            and settings.TENANT_POOL_SIZE > 0):
        validate_request(ctx)
        if _provision_from_pool(ctx):
            return ctx
    # Held for the whole run (released by PostgreSQL if the process dies): the sweeper resumes
    # only a run no one is running, and two resumes cannot run the steps at once.
    with run_lock(f"provision:{slug}") as held:
        if not held:
            raise Conflict(f"Tenant '{slug}' is being provisioned by another process.",
                           code="provisioning_in_progress")
        _run_steps(ctx, done)
    return ctx


def _provision_from_pool(ctx: ProvisionContext) -> bool:
    """The whole pipeline as one short transaction around a pool claim; False (nothing done)
    when the pool has no ready schema. A refill is queued after the claim commits."""
    from django.db import IntegrityError

    from tenants.fleet.pool import pool_claim

    req = ctx.request
    schema_name = schema_name_for_slug(req.slug)
    try:
        with transaction.atomic():
            if not pool_claim(schema_name):
                return False
            ctx.tenant = Tenant.objects.create(
                slug=req.slug, name=req.name.strip(), schema_name=schema_name,
                state=TenantState.ACTIVE, provisioning_step="activate",
                owner_email=req.owner_email, plan=_requested_plan(req))
            domains_create(tenant=ctx.tenant, custom=req.domains)
            with schema_context(schema_name):
                _owner_create_in_schema(ctx)
            ctx.from_pool = True
            _audit_created(ctx)
            transaction.on_commit(_queue_pool_refill)
    except IntegrityError as exc:  # a concurrent sign-up took the slug or a domain first
        ctx.from_pool = False
        raise Conflict(f"A tenant with slug '{req.slug}' or one of its domains already exists.",
                       code="tenant_exists") from exc
    finally:
        connection.set_schema_to_public()
    ctx.from_pool = True
    return True


def _queue_pool_refill() -> None:
    from celery import current_app

    try:
        current_app.send_task("tenants.pool_refill")
    except Exception:  # the broker is down: beat's minute refill catches up
        logger.warning("Could not queue a pool refill", exc_info=True)


def _run_steps(ctx: ProvisionContext, done: set[str]) -> None:
    slug, progress = ctx.request.slug, ctx.progress
    total = len(STEPS)
    for index, (step_name, step) in enumerate(STEPS, start=1):
        if step_name in done and step_name != "validate":
            continue
        if progress:
            progress(step_name, index, total)
        try:
            step(ctx)
        except Exception as exc:
            if step_name == "validate":
                raise  # nothing was done yet; the caller gets the field errors as they are
            logger.exception("Provisioning of %s failed at %s", slug, step_name)
            try:
                _rollback(ctx)
                rolled_back = True
            except Exception:
                logger.exception("Rollback of %s failed; tenant left in provisioning", slug)
                rolled_back = False
                Tenant.objects.filter(pk=ctx.tenant.pk).update(
                    provisioning_error=f"{step_name}: {exc}")
            raise ProvisioningFailed(step_name, exc, rolled_back) from exc
        finally:
            connection.set_schema_to_public()
        _record_step(ctx.tenant, step_name)


def provisioning_resume_stuck(*, now=None) -> list[str]:
    """Resume every tenant left in ``provisioning`` (its run was killed) for longer than
    ``TENANT_PROVISIONING_RESUME_SECONDS`` that no process is provisioning now. Run by the
    sweeper (tenants.tasks.sweep). Returns the slugs resumed; a resumed run that fails rolls
    back as any run does."""
    from datetime import timedelta

    from django.utils import timezone

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TENANT_PROVISIONING_RESUME_SECONDS)
    resumed = []
    # A restore also passes through provisioning (step "restore"); it is not a pipeline run.
    stuck = (Tenant.objects.filter(state=TenantState.PROVISIONING, created_at__lt=cutoff)
             .exclude(provisioning_step="restore"))
    for tenant in stuck:
        request = tenant.provisioning_request
        if not request.get("owner_email") or run_in_progress(f"provision:{tenant.slug}"):
            continue
        logger.warning("Resuming the provisioning of %s, stopped after step %r", tenant.slug,
                       tenant.provisioning_step)
        try:
            tenant_provision(slug=tenant.slug, name=tenant.name,
                             owner_email=request["owner_email"],
                             domains=request.get("domains") or [],
                             schema_method=request.get("schema_method"), resume=True)
        except (ProvisioningFailed, Conflict):
            logger.exception("Resumed provisioning of %s failed", tenant.slug)
            continue
        resumed.append(tenant.slug)
    return resumed
