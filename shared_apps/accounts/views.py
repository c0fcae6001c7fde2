"""The profile page of a tenant host: the user's name here, and where allauth's pages change the
rest (e-mail with verification, password, two-factor, sessions)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from shared_apps.accounts.services import user_profile_update
from tenant_apps.core.errors import PlatformError
from tenant_apps.core.pages import page, show_errors, workspace


class ProfileForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=200, required=False)


@page()
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial={"full_name": user.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(user=user, full_name=form.cleaned_data["full_name"])
        except PlatformError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, "Profile saved.")
            return redirect("profile")
    authenticators = {a.type: a for a in Authenticator.objects.filter(user_id=user.pk)}
    recovery = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    context = {
        "form": form,
        "pending_emails": EmailAddress.objects.filter(user_id=user.pk, verified=False)
        .exclude(email__iexact=user.email),
        "totp": authenticators.get(Authenticator.Type.TOTP),
        "recovery_left": len(recovery.wrap().get_unused_codes()) if recovery else 0,
        "two_factor_required": workspace(request).require_two_factor,
        "session_count": UserSession.objects.filter(user_id=user.pk).count(),
    }
    return render(request, "accounts/profile.html", context)
