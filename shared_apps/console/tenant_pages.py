"""The console's Tenants section (/console/tenants/): the searchable list, a tenant's page with
its domains, state actions and jobs, creating a tenant with the provisioning steps' live progress.

Every action calls the same service as the operator API and the CLI (tenants.services,
tenants.domains, the jobs of tenants.jobs), which writes the platform audit entry; the pages
only confirm, call and report."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_exists

from shared_apps.console.access import operator_page
from shared_apps.console.panels import tenant_panels
from tenant_apps.core.errors import NotFound, PlatformError
from tenants.archive.services import archive_check, recorded_archive
from tenants.domains import domain_add, domain_instructions, domain_remove, domain_set_primary
from tenants.filters import tenants_filtered
from tenants.jobs import operator_job_get, operator_job_queue, operator_jobs_for_tenant
from tenants.models import Plan, Tenant, TenantState
from tenants.plan_models import TenantUsage
from tenants.plans.selectors import tenants_usage_latest
from tenants.provisioning import STEPS, ProvisionContext, ProvisionRequest, validate_request
from tenants.selectors import tenant_get
from tenants.services import tenant_activate, tenant_delete, tenant_delete_check, tenant_suspend
from tenants.tasks import archive_tenant, provision_tenant, restore_tenant
from tenants.usage import tenant_usage

PAGE_SIZE = 25
# The list's ``?sort=`` (the design system's sortable headers) is the filterset's ``ordering``.
SORTS = ("slug", "name", "state", "created_at", "last_activity_at")


# -- forms ------------------------------------------------------------------------------------
class TenantCreateForm(forms.Form):
    slug = forms.CharField(max_length=63, help_text="Lowercase letters, digits and hyphens; "
                           "it becomes the address <slug>.<domain> and cannot change later.")
    name = forms.CharField(max_length=200)
    owner_email = forms.EmailField(label="Owner's e-mail",
                                   help_text="They get an invitation link, never a password.")
    domains = forms.CharField(required=False, label="Custom domains",
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text="One per line; each is verified by DNS before it "
                                        "serves the tenant.")

    def clean_domains(self) -> list[str]:
        return [d.strip().lower() for d in self.cleaned_data["domains"].split() if d.strip()]


class SuspendForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False,
                             help_text="Shown to the tenant's users while it is suspended.")


class DomainForm(forms.Form):
    domain = forms.CharField(max_length=253, label="Custom domain")


# -- list -------------------------------------------------------------------------------------
@operator_page
def tenant_list_page(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    sort = params.pop("sort", [""])[-1]
    if sort.lstrip("-") in SORTS:
        params["ordering"] = sort
    params.pop("page", None)
    error = None
    try:
        tenants = tenants_filtered(params).select_related("plan").prefetch_related("domains")
    except PlatformError as exc:
        error = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items())
        tenants = Tenant.objects.none()
    page_obj = Paginator(tenants, PAGE_SIZE).get_page(request.GET.get("page"))
    usage = tenants_usage_latest(tenant_ids=[t.pk for t in page_obj])
    rows = [{"tenant": t, "usage": _usage_summary(usage.get(t.pk))} for t in page_obj]
    context = {"rows": rows, "page_obj": page_obj, "error": error,
               "q": request.GET.get("search", ""), "state": request.GET.get("state", ""),
               "states": TenantState.choices, "plan": request.GET.get("plan", ""),
               "plans": Plan.objects.order_by("position", "slug").values_list("slug", "name"),
               "hx_target": "#rows"}
    template = ("console/tenants/_rows.html" if request.headers.get("HX-Request")
                else "console/tenants/list.html")
    return render(request, template, context, status=400 if error else 200)


def _usage_summary(usage: TenantUsage | None) -> str:
    """Members and rows in all, short ("3 members · 1,016 rows"), from the usage collector's
    latest row (hourly): a page of 25 tenants costs one query, not a count of every table in
    25 schemas (which, at thousands of tenants with large tables, made the list slow). The
    tenant's own page counts live."""
    if usage is None:
        return ""
    rows = sum(n for n in (usage.rows or {}).values() if isinstance(n, int))
    members = usage.members
    return f"{members} member{'s' if members != 1 else ''} · {rows:,} rows"


# -- a tenant ---------------------------------------------------------------------------------
@operator_page
def tenant_detail_page(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _tenant_or_404(slug)
    domains = [{"domain": d, "dns": domain_instructions(d),
                "platform": d.domain.endswith(f".{_base_domain()}")}
               for d in tenant.domains.order_by("-is_primary", "domain")]
    usage = {}
    if tenant.state in (TenantState.ACTIVE, TenantState.SUSPENDED) and \
            schema_exists(tenant.schema_name):
        usage = tenant_usage(slug=tenant.slug)
    return render(request, "console/tenants/detail.html", {
        "tenant": tenant, "domains": domains, "usage": usage,
        "jobs": operator_jobs_for_tenant(slug=tenant.slug),
        "panels": tenant_panels(request, tenant),
        "suspend_form": SuspendForm(), "domain_form": DomainForm(),
        "can_suspend": tenant.state == TenantState.ACTIVE,
        "can_activate": tenant.state == TenantState.SUSPENDED,
        "can_archive": tenant.state in (TenantState.ACTIVE, TenantState.SUSPENDED),
        "can_restore": tenant.state == TenantState.ARCHIVED,
        "can_delete": tenant.state != TenantState.ACTIVE,
        "states": TenantState})


def _base_domain() -> str:
    from django.conf import settings

    return settings.BASE_DOMAIN


def _tenant_or_404(slug: str) -> Tenant:
    try:
        return tenant_get(slug=slug)
    except NotFound:
        raise Http404(f"No tenant '{slug}'.") from None


def _back(slug: str) -> HttpResponse:
    return redirect("console:tenant", slug=slug)


def _run(request: HttpRequest, slug: str, action, done: str) -> HttpResponse:
    """Call ``action``; report its outcome as a message on the tenant's page."""
    try:
        action()
    except PlatformError as exc:
        details = " ".join(m for msgs in exc.fields.values() for m in msgs)
        messages.error(request, f"{exc.message} {details}".strip())
    else:
        messages.success(request, done)
    return _back(slug)


def _confirmed(request: HttpRequest, slug: str) -> bool:
    if request.POST.get("confirm", "").strip() == slug:
        return True
    messages.error(request, f"Not done: type the tenant's slug ({slug}) to confirm.")
    return False


@require_POST
@operator_page
def tenant_suspend_action(request: HttpRequest, slug: str) -> HttpResponse:
    form = SuspendForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else request.POST.get("reason", "")
    return _run(request, slug, lambda: tenant_suspend(slug=slug, reason=reason),
                f"{slug} is suspended; its users see the reason.")


@require_POST
@operator_page
def tenant_activate_action(request: HttpRequest, slug: str) -> HttpResponse:
    return _run(request, slug, lambda: tenant_activate(slug=slug), f"{slug} is active.")


@require_POST
@operator_page
def tenant_archive_action(request: HttpRequest, slug: str) -> HttpResponse:
    if not _confirmed(request, slug):
        return _back(slug)
    try:
        archive_check(slug=slug)
    except PlatformError as exc:
        messages.error(request, exc.message)
        return _back(slug)
    job = operator_job_queue(archive_tenant, kind="archive", target=slug, slug=slug)
    return redirect("console:tenant-job", job_id=job.id)


@require_POST
@operator_page
def tenant_restore_action(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        tenant = tenant_get(slug=slug)
        if tenant.state != TenantState.ARCHIVED:
            raise PlatformError(f"{slug} is {tenant.state}; only an archived tenant can be "
                                "restored.")
        recorded_archive(slug=slug)
    except PlatformError as exc:
        messages.error(request, exc.message)
        return _back(slug)
    job = operator_job_queue(restore_tenant, kind="restore", target=slug, slug=slug)
    return redirect("console:tenant-job", job_id=job.id)


@require_POST
@operator_page
def tenant_delete_action(request: HttpRequest, slug: str) -> HttpResponse:
    _tenant_or_404(slug)
    if not _confirmed(request, slug):
        return _back(slug)
    try:
        tenant_delete_check(slug=slug)
        tenant_delete(slug=slug)
    except PlatformError as exc:
        messages.error(request, exc.message)
        return _back(slug)
    messages.success(request, f"{slug} and all its data are deleted.")
    return redirect("console:tenants")


@require_POST
@operator_page
def domain_add_action(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _tenant_or_404(slug)
    name = request.POST.get("domain", "")
    return _run(request, slug, lambda: domain_add(tenant=tenant, domain=name),
                f"{name.strip().lower()} added; it serves the tenant once its DNS is verified.")


@require_POST
@operator_page
def domain_remove_action(request: HttpRequest, slug: str, domain: str) -> HttpResponse:
    tenant = _tenant_or_404(slug)
    return _run(request, slug, lambda: domain_remove(tenant=tenant, domain=domain),
                f"{domain} removed.")


@require_POST
@operator_page
def domain_primary_action(request: HttpRequest, slug: str, domain: str) -> HttpResponse:
    tenant = _tenant_or_404(slug)
    return _run(request, slug, lambda: domain_set_primary(tenant=tenant, domain=domain),
                f"{domain} is now the primary domain.")


# -- create, and any job's progress -------------------------------------------------------------
@operator_page
def tenant_create_page(request: HttpRequest) -> HttpResponse:
    form = TenantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # The pipeline's validation step now: bad input is a form error, not a failed job.
            validate_request(ProvisionContext(request=ProvisionRequest(
                slug=data["slug"], name=data["name"], owner_email=data["owner_email"],
                domains=data["domains"])))
        except PlatformError as exc:
            for name, errors in exc.fields.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
            if not exc.fields:
                form.add_error(None, exc.message)
        else:
            job = operator_job_queue(provision_tenant, kind="provision", target=data["slug"],
                                     slug=data["slug"], name=data["name"],
                                     owner_email=data["owner_email"], domains=data["domains"])
            return redirect("console:tenant-job", job_id=job.id)
    return render(request, "console/tenants/create.html", {"form": form},
                  status=400 if form.errors else 200)


STEP_LABELS = {
    "validate": "Check the request", "create_row": "Register the tenant and its address",
    "create_schema": "Create its database schema", "create_owner": "Invite the owner",
    "create_domains": "Add its custom domains", "activate": "Activate it",
}


@operator_page
def job_page(request: HttpRequest, job_id: str) -> HttpResponse:
    try:
        job = operator_job_get(job_id=job_id)
    except NotFound:
        raise Http404("No such job.") from None
    result = job.get("result") or {}
    if result.get("owner_invitation_url"):
        job["result"] = {**result, "owner_invitation_url": _as_served(
            request, result["owner_invitation_url"])}
    context = {"job": job, **_progress(job)}
    template = ("console/tenants/_job.html" if request.headers.get("HX-Request")
                else "console/tenants/job.html")
    return render(request, template, context)


def _as_served(request: HttpRequest, url: str) -> str:
    """The pipeline writes the tenant's link as ``http://<slug>.<BASE_DOMAIN>/…``; shown here
    with the scheme and port this console is served on (``make run``'s :8000, say), so that
    it opens as given."""
    parts = urlsplit(url)
    port = request.get_port()
    netloc = parts.netloc
    if ":" not in netloc and port not in ("80", "443"):
        netloc = f"{netloc}:{port}"
    return urlunsplit((request.scheme, netloc, parts.path, parts.query, parts.fragment))


def _progress(job: dict) -> dict:
    """The steps with their state, and a percentage, from the job's status."""
    finished = job["state"] in ("SUCCESS", "FAILURE")
    steps = []
    if job["kind"] == "provision":
        current = job["index"] or 0
        for index, (name, _step) in enumerate(STEPS, start=1):
            if job["state"] == "SUCCESS" or index < current:
                state = "done"
            elif index == current:
                state = "failed" if job["state"] == "FAILURE" else "running"
            else:
                state = "waiting"
            steps.append({"label": STEP_LABELS.get(name, name), "state": state})
        done = sum(s["state"] == "done" for s in steps)
        percent = 100 if job["state"] == "SUCCESS" else int(100 * done / len(STEPS))
    else:
        percent = 100 if job["state"] == "SUCCESS" else (50 if job["step"] else 5)
    return {"steps": steps, "percent": percent, "finished": finished,
            "tenant_url": reverse("console:tenant", kwargs={"slug": job["slug"]})}


# "_new" and "_jobs" hold an underscore, which no slug can: no tenant's page is ever shadowed.
urlpatterns = [
    path("", tenant_list_page, name="tenants"),
    path("_new/", tenant_create_page, name="tenant-create"),
    path("_jobs/<str:job_id>/", job_page, name="tenant-job"),
    path("<slug:slug>/", tenant_detail_page, name="tenant"),
    path("<slug:slug>/suspend/", tenant_suspend_action, name="tenant-suspend"),
    path("<slug:slug>/activate/", tenant_activate_action, name="tenant-activate"),
    path("<slug:slug>/archive/", tenant_archive_action, name="tenant-archive"),
    path("<slug:slug>/restore/", tenant_restore_action, name="tenant-restore"),
    path("<slug:slug>/delete/", tenant_delete_action, name="tenant-delete"),
    path("<slug:slug>/domains/", domain_add_action, name="tenant-domain-add"),
    path("<slug:slug>/domains/<str:domain>/remove/", domain_remove_action,
         name="tenant-domain-remove"),
    path("<slug:slug>/domains/<str:domain>/primary/", domain_primary_action,
         name="tenant-domain-primary"),
]
