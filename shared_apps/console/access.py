"""Who may use the console: signed-in operators (``is_staff`` in ``public``), with two-factor
enrolled where ``OPERATOR_MFA_REQUIRED`` (production). A page is wrapped in ``operator_page``;
nothing else in the console checks access."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse

from shared_apps.accounts.mfa import user_has_mfa


def is_operator(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def operator_page(view: Callable) -> Callable:
    """A console page: anonymous visitors go to sign-in and come back; signed-in non-operators
    get a 403 (the console exists, they may not use it)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
        if not is_operator(request.user):
            raise PermissionDenied("The console is for platform operators.")
        if settings.OPERATOR_MFA_REQUIRED and not user_has_mfa(request.user):
            # Production: an operator's password alone never reaches the console.
            return redirect_to_login(request.get_full_path(), reverse("mfa_activate_totp"))
        return view(request, *args, **kwargs)

    return wrapped
