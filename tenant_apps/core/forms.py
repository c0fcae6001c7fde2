"""Forms of the core's pages (workspace settings, API keys). They parse what the browser sends;
the services decide (their errors are shown on these forms by ``pages.show_errors``)."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.forms.models import ModelChoiceIterator

from tenant_apps.core.models import ApiKeyScope


class _ListedChoices(ModelChoiceIterator):
    """Django's iterator reads the options through ``QuerySet.iterator()``, which on PostgreSQL
    opens a server-side cursor (DECLARE, FETCH, CLOSE: three round trips, and a WITH HOLD copy
    outside a transaction) for every select on every render. A page's select lists a handful
    of rows: one ordinary query, cached on the field's queryset, is cheaper."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` for short option lists (warehouses, sites, employees): one plain
    query per form instead of a server-side cursor per render."""

    iterator = _ListedChoices


def _zones() -> list[tuple[str, str]]:
    return [(z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z or z == "UTC"]


class WorkspaceSettingsForm(forms.Form):
    display_name = forms.CharField(label="Workspace name", max_length=200, required=False,
                                   help_text="Shown in the header; empty: the registered name.")
    time_zone = forms.ChoiceField(label="Time zone", choices=_zones,
                                  help_text="Times on every page show in this zone, named.")


class TwoFactorPolicyForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label="Require two-factor authentication for every member", required=False,
        help_text="Members without an authenticator app are asked to set one up before "
                  "anything else.")


EXPIRY_CHOICES = [("", "Never"), ("30", "In 30 days"), ("90", "In 90 days"),
                  ("365", "In a year")]


class ApiKeyForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100,
                           help_text="Who or what uses it, e.g. “Warehouse scanner”.")
    scope = forms.ChoiceField(label="Scope", choices=ApiKeyScope.choices,
                              initial=ApiKeyScope.READ,
                              help_text="Read only acts as a viewer; read and write at most "
                                        "as an admin.")
    expires_in = forms.TypedChoiceField(label="Expires", choices=EXPIRY_CHOICES, coerce=int,
                                        empty_value=None, required=False,
                                        help_text="After this the key is refused.")


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail", max_length=254)
    role = forms.ChoiceField(label="Role", initial="member",
                             help_text="Viewers read; members work; admins manage the team "
                                       "and settings; owners everything.")

    def __init__(self, *args, roles: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args, roles: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles
