"""The workspace's custom domains page (/settings/domains/, admins only): the domains with
their state, the DNS records to create, an add form, "Check now" and remove. The same services
as the tenant API (tenants/tenant_domain_api.py); mounted by saas_platform/urls_tenant.py,
since the core's pages may not import the control plane."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from tenant_apps.core.errors import PlatformError
from tenant_apps.core.pages import page, show_errors
from tenant_apps.core.roles import Role
from tenants.domains import domain_add, domain_check, domain_instructions, domain_remove
from tenants.models import DomainStatus
from tenants.tenant_domain_api import custom_domains, own_custom_domain, public_registry


class DomainForm(forms.Form):
    domain = forms.CharField(label="Domain", max_length=253,
                             help_text="A host name you control, e.g. app.example.com.")


@page(Role.ADMIN)
def domains_page(request: HttpRequest) -> HttpResponse:
    form = DomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with public_registry():
                added = domain_add(tenant=request.tenant, domain=form.cleaned_data["domain"])
        except PlatformError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, f"{added.domain} added: create the two DNS records "
                                      "shown, then check it.")
            return redirect("web-domains")
    with public_registry():
        rows = [{"domain": domain, "dns": domain_instructions(domain)}
                for domain in custom_domains(request.tenant)]
    return render(request, "tenant/domains.html", {
        "form": form, "rows": rows, "statuses": DomainStatus,
        "platform_address": f"{request.tenant.slug}.{settings.BASE_DOMAIN}"})


@page(Role.ADMIN)
def domain_check_page(request: HttpRequest, domain: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("web-domains")
    try:
        with public_registry():
            checked = domain_check(domain=own_custom_domain(request.tenant, domain))
    except PlatformError as exc:
        messages.error(request, exc.message)
        return redirect("web-domains")
    if checked.status == DomainStatus.VERIFIED:
        messages.success(request, f"{checked.domain} is verified: it serves this workspace.")
    else:
        messages.warning(request, f"{checked.domain}: {checked.last_check_error or 'not yet.'}")
    return redirect("web-domains")


@page(Role.ADMIN)
def domain_remove_page(request: HttpRequest, domain: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("web-domains")
    try:
        with public_registry():
            found = own_custom_domain(request.tenant, domain)
            domain_remove(tenant=request.tenant, domain=found.domain)
    except PlatformError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{found.domain} removed: the site no longer answers on it.")
    return redirect("web-domains")


# Mounted at /settings/domains/ by saas_platform/urls_tenant.py.
urlpatterns = [
    path("", domains_page, name="web-domains"),
    path("<str:domain>/check", domain_check_page, name="web-domain-check"),
    path("<str:domain>/remove", domain_remove_page, name="web-domain-remove"),
]
