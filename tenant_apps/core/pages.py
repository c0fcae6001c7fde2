"""What every page of the tenant web app shares: sign-in and role checks (an expired session
during an HTMX request is sent to sign-in and back with ``HX-Redirect``), the workspace's time
zone, paging, and the platform's errors shown on the form they came from.

Pages call the same services and selectors as the API; this module holds no business rule."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import urlencode

from tenant_apps.core.errors import PlatformError
from tenant_apps.core.roles import Role, role_at_least
from tenant_apps.core.services.workspace import workspace_settings_get

PER_PAGE = 25


def _login_redirect(request: HttpRequest) -> HttpResponse:
    login_url = resolve_url(settings.LOGIN_URL)
    if getattr(request, "htmx", False):
        # The fragment's URL is not a page; come back to the page the user was on.
        current = request.headers.get("HX-Current-URL") or request.get_full_path()
        parts = urlsplit(current)
        back = parts.path + (f"?{parts.query}" if parts.query else "")
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{login_url}?{urlencode({'next': back})}"
        return response
    return redirect_to_login(request.get_full_path(), login_url)


def workspace(request: HttpRequest):
    """The workspace's settings row, read once per request."""
    if not hasattr(request, "_workspace_settings"):
        request._workspace_settings = workspace_settings_get()
    return request._workspace_settings


def page(min_role: str = Role.VIEWER) -> Callable:
    """A page view for signed-in users of at least ``min_role``, rendered in the workspace's
    time zone."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return _login_redirect(request)
            if not user.is_active or not role_at_least(user.role, min_role):
                raise PermissionDenied("Your role does not allow this page.")
            timezone.activate(ZoneInfo(workspace(request).time_zone))
            try:
                return view(request, *args, **kwargs)
            finally:
                timezone.deactivate()

        wrapped.min_role = min_role
        return wrapped

    return decorate


def can(request: HttpRequest, role: str) -> bool:
    user = request.user
    return user.is_authenticated and role_at_least(user.role, role)


def paginate(request: HttpRequest, rows, per_page: int = PER_PAGE) -> Page:
    """One page of ``rows``; a page number out of range shows the last page."""
    paginator = Paginator(rows, per_page)
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(max(paginator.num_pages, 1))


def show_errors(form: forms.Form, exc: PlatformError,
                aliases: dict[str, str] | None = None) -> None:
    """Put a service's ``exc.fields`` on the form's fields (``aliases`` maps a service's field
    name to the form's); the rest, and the message, go to the form's top."""
    aliases = aliases or {}
    placed = False
    for name, messages in exc.fields.items():
        target = aliases.get(name, name)
        if target in form.fields:
            for message in messages:
                form.add_error(target, message)
            placed = True
        else:
            for message in messages:
                form.add_error(None, message)
            placed = True
    if not placed or not exc.fields:
        form.add_error(None, exc.message)


def query_without(request: HttpRequest, *names: str) -> str:
    """The current query string without ``names`` (for paging and sorting links)."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()
