"""The navigation every tenant page shows: the main menu's app entries and a section's tabs,
written in Python (templatetags/ui.py: ``{% nav_links %}``, ``{% section_tabs %}``).

Through the template engine, the eight-odd links of each (a URL, two comparisons with the
current path, filters, escaping, per link) cost ~1 ms of every page: a tenth of a list page's
CPU (bench/pages.py). The markup is the same as the templates wrote."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString, mark_safe

from tenant_apps.core.links import named_url
from tenant_apps.core.tables import cell_html

CURRENT = ' aria-current="page"'


def section_tabs_html(tabs: Iterable[tuple[str, str]], path: str) -> SafeString:
    """``(label, URL name)`` pairs as a row of buttons, the current section's highlighted."""
    links = []
    for label, name in tabs:
        url = named_url(name)
        here = path == url
        links.append(f'<a class="btn small{" primary" if here else ""}" href="{escape(url)}"'
                     f'{CURRENT if here else ""}>{cell_html(label)}</a>')
    if not links:
        return mark_safe("")
    return mark_safe(  # noqa: S308 -- URLs and labels escaped above
        '<nav class="actions" aria-label="Sections" style="margin-bottom:1rem">'
        + "".join(links) + "</nav>")


def nav_links_html(entries: Iterable, path: str) -> SafeString:
    """The apps' menu entries (tenant_apps.core.contract.NavEntry); an entry is current on any
    page under its URL. (The template this replaces compared the first 12 characters, which
    is all of /attendance/ but one more than /inventory/: Inventory was never current on its
    own sub-pages.)"""
    links = []
    for entry in entries:
        url = named_url(entry.url_name)
        here = url != "/" and path.startswith(url)
        links.append(f'<a href="{escape(url)}"{CURRENT if here else ""}>'
                     f"{cell_html(entry.label)}</a>\n")
    return mark_safe("".join(links))  # noqa: S308 -- URLs and labels escaped above
