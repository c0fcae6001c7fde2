"""Django's form renderer, with its commonest widget templates written in Python.

An ``<input>``, ``<select>`` or ``<textarea>`` goes through three to twenty template includes
(``input.html`` -> ``attrs.html``, one ``select_option.html`` per choice), each variable
resolved, localized and escaped one at a time: ~0.2 ms per field, and a choice of 16 employees
over a millisecond, which made the form fields a quarter of a form page's CPU (bench/pages.py,
docs/benchmarks.md). ``FastWidgetRenderer`` writes the same markup for Django's own input,
select and textarea templates, character for character (tests/core/test_form_renderer.py
compares every widget both ways), and hands every other template (the admin's widgets, whole
forms, a project's own templates) to the template engine as before. Settings: ``FORM_RENDERER``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"
INPUT_TYPES = ("input", "text", "number", "email", "password", "url", "date", "datetime", "time",
               "hidden", "search", "tel", "color", "checkbox")
OPTION_TEMPLATE = WIDGETS + "select_option.html"
_CONTEXT = Context()


def _text(value: Any) -> str:
    """``{{ value }}``: localized, made a string and escaped by the template engine's own
    function, with a default context (autoescape on, the settings' zone and formats)."""
    return render_value_in_context(value, _CONTEXT)


def _as_s(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: ``"%s" % value``, escaped unless the value was safe
    markup already (the filter is ``is_safe``)."""
    return value if isinstance(value, SafeData) else escape(f"{value}")


def _attrs(attrs: dict[str, Any]) -> str:
    """``attrs.html``: `` name="value"``, a bare `` name`` for True, nothing for False."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_as_s(value)}"'
        for name, value in attrs.items() if value is not False)


def _input(widget: dict[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{_as_s(widget["value"])}"'
    return (f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}'
            f"{_attrs(widget['attrs'])}>")


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            # (The option template ends with a newline, hence each option's "\n".)
            if option["template_name"] != OPTION_TEMPLATE:
                return None  # a custom option template: the engine renders it all
            parts.append(f'\n  <option value="{_as_s(option["value"])}"'
                         f"{_attrs(option['attrs'])}>{_text(option['label'])}</option>\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict[str, Any]) -> str:
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


RENDERERS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    **{f"{WIDGETS}{name}.html": _input for name in INPUT_TYPES},
    WIDGETS + "select.html": _select,
    WIDGETS + "textarea.html": _textarea,
}


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request=None) -> str:
        write = RENDERERS.get(template_name)
        html = write(context["widget"]) if write is not None and "widget" in context else None
        if html is None:
            return super().render(template_name, context, request)
        return html.strip()
