"""The design system's template tags: the value formats (tenant_apps/core/formats.py) as
filters, links, form fields with label, help and inline errors, sort links, data tables
(tenant_apps/core/tables.py), pager URLs and chart bars."""

from __future__ import annotations

from django import template
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from tenant_apps.core.form_fields import field_html
from tenant_apps.core.formats import clock, hours, money, qty, when
from tenant_apps.core.links import named_url, object_url
from tenant_apps.core.navigation import nav_links_html, section_tabs_html
from tenant_apps.core.tables import cell_html, sort_header, table_html

register = template.Library()
for _filter in (qty, money, when, clock, hours):
    register.filter(_filter.__name__, _filter)


@register.filter
def link(pk, name: str) -> str:
    """``{{ product.pk|link:"inventory:product" }}``: ``{% url %}`` for a row's link, at the
    cost of a string format (tenant_apps/core/links.py)."""
    return object_url(name, pk)


@register.filter
def url_of(name: str) -> str:
    """``{{ entry.url_name|url_of }}``: ``{% url %}`` of a name held in a variable (navigation,
    tabs), reversed once per process."""
    return named_url(name)


@register.simple_tag
def field(bound_field, help_text: str = "", wide: bool = False):
    """``{% field form.name %}``: label, widget, help and inline errors (form_fields.py)."""
    return field_html(bound_field, help_text, wide)


@register.simple_tag(takes_context=True)
def section_tabs(context) -> str:
    """``{% section_tabs %}``: the ``tabs`` of the page's section (navigation.py)."""
    return section_tabs_html(context.get("tabs") or (), context["request"].path)


@register.simple_tag(takes_context=True)
def nav_links(context) -> str:
    """``{% nav_links %}``: the tenant apps' entries of the main menu (navigation.py)."""
    entries = context.get("nav_entries") or ()
    return nav_links_html(entries() if callable(entries) else entries, context["request"].path)


@register.simple_tag(takes_context=True)
def sort_link(context, name: str, label: str):
    """A column header that sorts by ``name`` (again: descending), keeping the filters."""
    return sort_header(context["request"].GET, name, label)


@register.simple_tag(takes_context=True)
def data_table(context, columns, rows, table_id: str, row_id: str = ""):
    """``{% data_table columns rows "products" "product-" %}``: the design system's data table
    (tenant_apps/core/tables.py); ``row_id``, if given, prefixes each row's id to its pk."""
    return table_html(columns, rows, table_id, request=context.get("request"),
                      row_id=(lambda row: f"{row_id}{row.pk}") if row_id else None)


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    params = context["request"].GET.copy()
    params["page"] = number
    return "?" + params.urlencode()


@register.simple_tag
def query(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@register.simple_tag
def chart_bars(chart, alt: bool = False) -> str:
    """A bar chart's ``<rect>``s, written here rather than in a template loop: a month of bars
    through the template engine cost more CPU than the rest of the dashboard (each of six
    numbers per bar localized and escaped one by one)."""
    css = "bar alt" if alt else "bar"
    # Numbers need no escaping; the label and value do (format_html would escape all seven
    # arguments of each of ~60 bars through Django's lazy-aware escape: a third of the page).
    return mark_safe("".join(  # noqa: S308 -- label and value escaped, the rest are numbers
        f'<rect class="{css}" x="{bar.x:g}" y="{bar.y:g}" width="{bar.width:g}" '
        f'height="{bar.height:g}" rx="2"><title>{cell_html(bar.label)}: '
        f"{cell_html(bar.value)}</title></rect>" for bar in chart.bars))
