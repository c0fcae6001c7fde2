"""The console's sections, in the order of its navigation. A section is one module of pages
with its own ``urls.py`` entry; adding one is a line here and an ``include`` in urls.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    label: str
    url_name: str  # in the "console" namespace
    path_prefix: str  # marks the section current for every page under it


SECTIONS: list[Section] = [
    Section("Overview", "console:overview", "/console/"),
    Section("Tenants", "console:tenants", "/console/tenants/"),
    Section("Cluster", "console:cluster", "/console/cluster/"),
    Section("Audit log", "console:audit", "/console/audit/"),
    Section("Plans", "console:plans", "/console/plans/"),
]


def console_nav(path: str) -> list[dict]:
    """Each section with whether ``path`` is inside it (the longest matching prefix wins, so
    the overview at /console/ is current only on itself)."""
    from django.urls import reverse

    current = max((s for s in SECTIONS if path.startswith(s.path_prefix)),
                  key=lambda s: len(s.path_prefix), default=None)
    return [{"label": s.label, "url": reverse(s.url_name), "current": s is current}
            for s in SECTIONS]
