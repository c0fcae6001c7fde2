"""A form field of the design system: label (with "(optional)"), the widget, help text and
inline errors, as ``{% field form.name %}`` writes it (templatetags/ui.py).

Written in Python rather than as an included template for the same reason as the data tables
(tenant_apps/core/tables.py): through the template engine each field cost ~0.5 ms (an include
and some twenty lookups, each resolved and escaped one by one), a quarter of the CPU of a page
with a form (bench/pages.py)."""

from __future__ import annotations

from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe

from tenant_apps.core.tables import cell_html


def _help_and_errors(help_text: str, errors) -> str:
    html = f'\n<span class="help">{cell_html(help_text)}</span>' if help_text else ""
    if errors:
        items = "".join(f"<li>{cell_html(error)}</li>" for error in errors)
        html += f'\n<ul class="errorlist">{items}</ul>'
    return html


def field_html(field: BoundField, help_text: str = "", wide: bool = False) -> SafeString:
    """The field's markup; ``help_text`` replaces the form field's own, ``wide`` spans the form's
    grid. Every piece of text is escaped (cell_html); widgets come escaped from their renderer."""
    if field.is_hidden:
        return mark_safe(str(field))  # noqa: S308 -- the widget's own (escaped) markup
    widget = field.field.widget
    help_text = help_text or field.help_text
    errors = field.errors
    invalid = " invalid" if errors else ""
    label = cell_html(field.label)
    if getattr(widget, "allow_multiple_selected", False) and widget.input_type == "checkbox":
        options = "".join(
            f'<label class="check" for="{cell_html(option.id_for_label)}">{option.tag()} '
            f"{cell_html(option.choice_label)}</label>" for option in field)
        return mark_safe(  # noqa: S308 -- escaped above
            f'<fieldset class="field{invalid}" style="border:0;padding:0;margin:0">\n'
            f'<legend class="label">{label}</legend>\n<div class="actions">{options}</div>'
            f"{_help_and_errors(help_text, errors)}\n</fieldset>")
    for_id = cell_html(field.id_for_label)
    if getattr(widget, "input_type", None) == "checkbox":
        body = f'<label class="check" for="{for_id}">{field} {label}</label>'
    else:
        optional = "" if field.field.required else ' <span class="muted">(optional)</span>'
        body = f'<label for="{for_id}">{label}{optional}</label>\n{field}'
    wide_css = " wide" if wide else ""
    return mark_safe(  # noqa: S308 -- escaped above
        f'<div class="field{invalid}{wide_css}">\n{body}{_help_and_errors(help_text, errors)}\n'
        "</div>")
