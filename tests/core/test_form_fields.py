"""``{% field %}`` (tenant_apps/core/form_fields.py): every field labelled, optional ones say
so, errors inline next to the field, text escaped."""

from __future__ import annotations

from django import forms
from django.template import Context, Template


class Sample(forms.Form):
    name = forms.CharField(label="Name <full>", help_text="As on the <badge>")
    note = forms.CharField(required=False)
    active = forms.BooleanField(required=False, label="Active")
    days = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                     choices=[("1", "Mon"), ("2", "<Tue>")])
    token = forms.CharField(required=False, widget=forms.HiddenInput)


def render(form, tag: str = "{% field form.name %}") -> str:
    return Template("{% load ui %}" + tag).render(Context({"form": form}))


def test_a_field_is_labelled_with_its_help_and_marks_only_optional_ones():
    form = Sample()
    html = render(form)
    assert '<label for="id_name">Name &lt;full&gt;</label>' in html
    assert '<span class="help">As on the &lt;badge&gt;</span>' in html
    assert 'id="id_name"' in html and "(optional)" not in html
    assert '<div class="field">' in html
    assert "(optional)" in render(form, "{% field form.note %}")
    assert '<div class="field wide">' in render(form, "{% field form.note wide=True %}")
    assert "Other words" in render(form, '{% field form.note "Other words" %}')


def test_errors_show_inline_and_mark_the_field():
    form = Sample(data={"name": ""})
    html = render(form)
    assert '<div class="field invalid">' in html
    assert 'aria-invalid="true"' in html
    assert '<ul class="errorlist"><li>This field is required.</li></ul>' in html
    assert "errorlist" not in render(form, "{% field form.note %}")


def test_checkboxes_wrap_their_label_and_choices_make_a_fieldset():
    form = Sample()
    single = render(form, "{% field form.active %}")
    assert single.count("<label") == 1
    assert '<label class="check" for="id_active"><input type="checkbox"' in single
    many = render(form, "{% field form.days %}")
    assert '<legend class="label">Days</legend>' in many
    assert '<label class="check" for="id_days_1">' in many and "&lt;Tue&gt;" in many


def test_a_hidden_field_is_only_its_input():
    assert render(Sample(), "{% field form.token %}") == (
        '<input type="hidden" name="token" id="id_token">')
