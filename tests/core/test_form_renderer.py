"""The form renderer's Python widgets (tenant_apps/core/form_renderer.py) write exactly what
Django's widget templates write, for every kind of value and attribute, and skip the template
engine while doing it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.models import ModelChoiceIteratorValue
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test.signals import template_rendered
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from tenant_apps.core.form_renderer import FastWidgetRenderer

UNSAFE = "<b>\"Tom\" & 'Jerry'</b>"


class CustomOptionSelect(forms.Select):
    option_template_name = "django/forms/widgets/radio_option.html"


class Everything(forms.Form):
    name = forms.CharField(max_length=20, widget=forms.TextInput(attrs={
        "class": "wide", "placeholder": UNSAFE, "autofocus": True, "data-off": False,
        "data-zero": 0}))
    note = forms.CharField(required=False, disabled=True)
    quantity = forms.DecimalField(max_digits=12, decimal_places=3, min_value=0)
    count = forms.IntegerField(required=False)
    email = forms.EmailField(required=False)
    site = forms.URLField(required=False, assume_scheme="https")
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.DateTimeField(required=False)
    clock = forms.TimeField(required=False)
    secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    token = forms.CharField(required=False, widget=forms.HiddenInput)
    active = forms.BooleanField(required=False)
    query = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "search"}))
    phone = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    colour = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "color"}))
    kind = forms.ChoiceField(choices=[("", "---"), ("a", UNSAFE), ("b", gettext_lazy("Lazy")),
                                      ("Group <1>", [("c", "C"), ("d", mark_safe("<i>D</i>"))]),
                                      (3, 1234)])
    tags = forms.MultipleChoiceField(required=False, choices=[("x", "X"), ("y", "Y")])
    number = forms.TypedChoiceField(coerce=int, choices=[(1, 1), (20000, 20000)],
                                    required=False)
    custom = forms.ChoiceField(required=False, choices=[("p", "P")], widget=CustomOptionSelect)
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    blank = forms.CharField(required=False, widget=forms.Textarea)


VALUES = {
    "name": UNSAFE, "quantity": "12.5", "count": "x", "email": "a@b", "site": "example.org",
    "day": "2026-11-30", "at": "2026-11-30 08:15", "clock": "07:30", "secret": "s3<cr>et",
    "token": '"&', "active": "on", "query": "bolt", "phone": "+44 1", "colour": "#ff0000",
    "kind": "d", "tags": ["x", "y"], "number": "20000", "custom": "p",
    "reason": "Line one\n<script>alert(1)</script>",
}


def _both(form_class, **kwargs) -> list[tuple[str, str, str]]:
    fast = form_class(renderer=FastWidgetRenderer(), **kwargs)
    slow = form_class(renderer=DjangoTemplates(), **kwargs)
    return [(name, str(fast[name]), str(slow[name])) for name in fast.fields]


@pytest.mark.parametrize("kwargs", [
    {},  # unbound: initial values, nothing selected
    {"initial": {"quantity": Decimal("1234.500"), "day": dt.date(2026, 11, 30),
                 "at": dt.datetime(2026, 11, 30, 8, 15, tzinfo=dt.UTC),
                 "clock": dt.time(7, 30), "active": True, "kind": "a", "number": 1}},
    {"data": VALUES},  # bound, with errors (count, email): aria-invalid
], ids=["unbound", "initial", "bound"])
def test_every_widget_renders_as_the_templates_do(kwargs):
    for name, fast, slow in _both(Everything, **kwargs):
        assert fast == slow, name


def test_model_choice_values_render_as_their_primary_key():
    class Pick(forms.Form):
        thing = forms.ChoiceField(choices=[(ModelChoiceIteratorValue(7, object()), "Seven")])

    ((_, fast, slow),) = _both(Pick)
    assert fast == slow
    assert 'value="7"' in fast


def test_the_commonest_widgets_skip_the_template_engine():
    rendered: list[str] = []

    def record(sender, template, **_):
        rendered.append(template.name)

    form = Everything(data=VALUES, renderer=FastWidgetRenderer())
    template_rendered.connect(record)
    try:
        html = "".join(str(form[name]) for name in ("name", "quantity", "kind", "reason"))
        assert rendered == []
        str(form["custom"])  # a custom option template still goes to the engine
        assert rendered
    finally:
        template_rendered.disconnect(record)
    assert "&lt;b&gt;&quot;Tom&quot;" in html and "<script>" not in html


def test_the_project_renders_forms_with_it():
    assert isinstance(get_default_renderer(), FastWidgetRenderer)
