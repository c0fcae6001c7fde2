"""The menu's app entries and a section's tabs (tenant_apps/core/navigation.py): the current
one marked for screen readers and styled, every label escaped."""

from __future__ import annotations

from types import SimpleNamespace

from django.test import override_settings

from tenant_apps.core.navigation import nav_links_html, section_tabs_html

TABS = [("Products", "inventory:home"), ("Low <stock>", "inventory:alerts")]


@override_settings(ROOT_URLCONF="saas_platform.urls_tenant")
def test_the_current_section_tab_is_marked_and_labels_escaped():
    html = section_tabs_html(TABS, "/inventory/alerts/")
    assert html.startswith('<nav class="actions" aria-label="Sections"')
    assert '<a class="btn small" href="/inventory/">Products</a>' in html
    assert ('<a class="btn small primary" href="/inventory/alerts/" aria-current="page">'
            "Low &lt;stock&gt;</a>") in html
    assert html.count("aria-current") == 1
    assert section_tabs_html([], "/inventory/") == ""


@override_settings(ROOT_URLCONF="saas_platform.urls_tenant")
def test_an_app_entry_is_current_on_every_page_under_it():
    entries = [SimpleNamespace(url_name="inventory:home", label="Inventory"),
               SimpleNamespace(url_name="attendance:home", label="Attendance & co")]
    html = nav_links_html(entries, "/inventory/products/7/")
    assert '<a href="/inventory/" aria-current="page">Inventory</a>' in html
    assert '<a href="/attendance/">Attendance &amp; co</a>' in html
    assert "aria-current" not in nav_links_html(entries, "/team/")
