"""Pages of a tenant host that belong to no feature app: the home page and accepting an
invitation. Each feature app's pages live in its own ``web.py`` and are mounted through its
contract."""

from django import forms
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from tenant_apps.core.errors import InvalidInput, NotFound
from tenant_apps.core.services.invitations import invitation_accept, invitation_get_open


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "tenant/home.html", {"tenant": request.tenant})


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, required=False, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput, label="Choose a password")
    password_again = forms.CharField(widget=forms.PasswordInput, label="Password again")

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data


@never_cache
def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password for an invited account, then sign in. A bad or used link is a 404 page."""
    try:
        invitation = invitation_get_open(raw_token=token)
    except NotFound:
        return render(request, "tenant/invitation_accept.html", {"invalid": True}, status=404)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(raw_token=token, password=form.cleaned_data["password"],
                                     full_name=form.cleaned_data["full_name"])
        except InvalidInput as exc:
            for message in exc.fields.get("password", []):
                form.add_error("password", message)
        except NotFound:
            return render(request, "tenant/invitation_accept.html", {"invalid": True},
                          status=404)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
    return render(request, "tenant/invitation_accept.html",
                  {"form": form, "invitation": invitation})
