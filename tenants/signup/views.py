"""The public host's landing page with "Create your workspace" and "Find my workspace", the
live subdomain check (HTMX) and the new workspace's progress page (polling). Bad input gets the
form back with field messages (400), too many attempts from one address a 429, never a 500."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from tenant_apps.core.errors import PlatformError
from tenants.signup.ratelimit import client_address, rate_limit_hit
from tenants.signup.services import (
    signup_progress,
    signup_slug_check,
    signup_start,
    workspaces_find_start,
)

TOO_MANY = "Too many attempts from your network. Try again in an hour."


class HoneypotForm(forms.Form):
    # Hidden from people (off-screen, not focusable); bots that fill every field fill it.
    website = forms.CharField(required=False, label="Leave this field empty")

    def clean(self):
        data = super().clean()
        if data.get("website"):
            raise forms.ValidationError("This form could not be sent.", code="honeypot")
        return data


class SignupForm(HoneypotForm):
    name = forms.CharField(label="Organisation name", max_length=200)
    slug = forms.CharField(label="Subdomain", max_length=63,
                           help_text="3 to 63 lowercase letters, digits and inner hyphens.")
    email = forms.EmailField(label="Your work e-mail", max_length=254,
                             help_text="We e-mail you a link to set your password.")
    field_order = ["name", "slug", "email", "website"]


class FindWorkspaceForm(HoneypotForm):
    email = forms.EmailField(label="Your e-mail", max_length=254)
    field_order = ["email", "website"]


def _public_port(request: HttpRequest) -> str:
    return request.get_host().rpartition(":")[2] if ":" in request.get_host() else ""


def _tenant_origin(request: HttpRequest, slug: str) -> str:
    port = _public_port(request)
    return f"{request.scheme}://{slug}.{settings.BASE_DOMAIN}{':' + port if port else ''}"


def _landing(request: HttpRequest, *, signup=None, find=None, found_sent: str = "",
             status: int = 200) -> HttpResponse:
    return render(request, "public/landing.html", {
        "signup_open": settings.SIGNUP_OPEN, "signup": signup or SignupForm(),
        "find": find or FindWorkspaceForm(), "found_sent": found_sent,
        "base_domain": settings.BASE_DOMAIN}, status=status)


def _refuse(form: forms.Form, exc: PlatformError) -> None:
    for name, messages in exc.fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, exc.message)


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    return _landing(request)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_OPEN:
        raise Http404("Sign-up is closed.")
    if request.method == "GET":
        return redirect("landing")
    form = SignupForm(request.POST)
    if not rate_limit_hit(scope="signup", address=client_address(request),
                          limit=settings.SIGNUP_RATE_PER_HOUR):
        form.is_valid()
        form.add_error(None, TOO_MANY)
        return _landing(request, signup=form, status=429)
    if not form.is_valid():
        return _landing(request, signup=form, status=400)
    data = form.cleaned_data
    try:
        job_id = signup_start(name=data["name"], slug=data["slug"], email=data["email"],
                              link_origin=_tenant_origin(request, data["slug"]))
    except PlatformError as exc:
        _refuse(form, exc)
        return _landing(request, signup=form, status=exc.status)
    request.session["signup_email"] = data["email"].lower()
    # Only the browser that signed up may watch the job (job ids are shared with operators').
    request.session["signup_jobs"] = [*request.session.get("signup_jobs", [])[-4:], job_id]
    return redirect("signup-progress", job_id=job_id)


@require_GET
def slug_check(request: HttpRequest) -> HttpResponse:
    if not rate_limit_hit(scope="slug-check", address=client_address(request),
                          limit=settings.SIGNUP_RATE_PER_HOUR * 60):
        return HttpResponse(f'<span class="badge warn">{TOO_MANY}</span>', status=429)
    check = signup_slug_check(slug=request.GET.get("slug", ""))
    return render(request, "public/_slug_check.html", {"check": check})


@never_cache
@require_GET
def progress(request: HttpRequest, job_id: str) -> HttpResponse:
    if job_id not in request.session.get("signup_jobs", []):
        raise Http404("No such sign-up.")
    try:
        state = signup_progress(job_id=job_id)
    except PlatformError as exc:
        raise Http404(exc.message) from exc
    context = {"progress": state, "job_id": job_id, "email": request.session.get("signup_email"),
               "host": f"{state.slug}.{settings.BASE_DOMAIN}"}
    if request.htmx:
        return render(request, "public/_signup_progress.html", context)
    return render(request, "public/signup_progress.html", context)


@require_http_methods(["POST"])
def find_workspace(request: HttpRequest) -> HttpResponse:
    form = FindWorkspaceForm(request.POST)
    if not rate_limit_hit(scope="find-workspace", address=client_address(request),
                          limit=settings.SIGNUP_RATE_PER_HOUR):
        form.is_valid()
        form.add_error(None, TOO_MANY)
        return _landing(request, find=form, status=429)
    if not form.is_valid():
        return _landing(request, find=form, status=400)
    email = form.cleaned_data["email"]
    try:
        workspaces_find_start(email=email, scheme=request.scheme, port=_public_port(request))
    except PlatformError as exc:
        _refuse(form, exc)
        return _landing(request, find=form, status=exc.status)
    # The same answer whether or not the address has workspaces.
    return _landing(request, found_sent=email.lower())


urlpatterns = [
    path("", landing, name="landing"),
    path("signup/", signup, name="signup"),
    path("signup/check", slug_check, name="signup-check"),
    path("signup/<str:job_id>/", progress, name="signup-progress"),
    path("find-workspace/", find_workspace, name="find-workspace"),
]
