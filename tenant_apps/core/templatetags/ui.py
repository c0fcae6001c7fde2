"""Formatting shared by the tenant pages: quantities by their unit's precision, money, times in
a named zone, durations; form fields with label, help and inline errors; sort links."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from tenant_apps.core.links import named_url, object_url

register = template.Library()

# Units counted in whole numbers (as inventory's COUNTABLE_UNITS; a core module cannot import
# a feature app).
_WHOLE_UNITS = {"pcs", "box", "pack", "pair"}


def _plain(value: Decimal, places: int) -> str:
    quantized = value.quantize(Decimal(1).scaleb(-places)) if places else value.quantize(Decimal(1))
    text = f"{quantized:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@register.filter
def qty(value, unit: str = "") -> str:
    """``25 pcs``, ``2.5 kg``, ``0.125 l``: whole units without decimals, others without
    trailing zeros (at most three places, the ledger's precision)."""
    if value is None or value == "":
        return "—"
    number = Decimal(value)
    places = 0 if unit in _WHOLE_UNITS else 3
    return f"{_plain(number, places)} {unit}".strip()


@register.filter
def money(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def when(value: datetime | None, zone: str | None = None) -> str:
    """An instant in ``zone`` (default: the workspace's), with the zone named: the reader never
    guesses whether it is their time, the site's or UTC."""
    if value is None:
        return "—"
    tz = ZoneInfo(zone) if zone else timezone.get_current_timezone()
    local = value.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


@register.filter
def clock(value: datetime | None, zone: str | None = None) -> str:
    if value is None:
        return "—"
    tz = ZoneInfo(zone) if zone else timezone.get_current_timezone()
    local = value.astimezone(tz)
    return f"{local:%H:%M} {local.tzname()}"


@register.filter
def hours(minutes) -> str:
    """Minutes as ``7 h 30 min``."""
    if minutes is None:
        return "—"
    minutes = int(minutes)
    h, m = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else ""
    return f"{sign}{h} h {m:02d} min" if h else f"{sign}{m} min"


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


@register.inclusion_tag("ui/field.html")
def field(bound_field, help_text: str = "", wide: bool = False):
    return {"f": bound_field, "help": help_text or bound_field.help_text, "wide": wide}


@register.simple_tag(takes_context=True)
def sort_link(context, name: str, label: str):
    """A column header that sorts by ``name`` (again: descending), keeping the filters."""
    request = context["request"]
    current = request.GET.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    descending = current == name
    params["sort"] = f"-{name}" if descending else name
    state = "ascending" if current == name else "descending" if current == f"-{name}" else "none"
    arrow = {"ascending": " ▲", "descending": " ▼", "none": ""}[state]
    said = "" if state == "none" else f" (sorted {state})"
    return format_html('<a href="?{}">{}<span class="sr-only">{}</span>'
                       '<span aria-hidden="true">{}</span></a>', params.urlencode(), label,
                       said, arrow)


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
    return format_html_join("", '<rect class="{}" x="{}" y="{}" width="{}" height="{}" rx="2">'
                            "<title>{}: {}</title></rect>",
                            ((css, f"{bar.x:g}", f"{bar.y:g}", f"{bar.width:g}",
                              f"{bar.height:g}", bar.label, bar.value) for bar in chart.bars))
