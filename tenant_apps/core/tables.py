"""Data tables of the tenant pages: one component for every list of rows.

A table is a list of ``Column``s (a header, a function giving a row's cell, and the cell's CSS
class) and the rows; ``{% data_table columns rows "id" %}`` (templatetags/ui.py) writes the
``<table class="data">``, its header (with sort links for sortable columns) and one ``<tr>`` per
row, each cell carrying its ``data-label`` for the phone layout (app.css stacks the cells).

Why rows are written here and not by a template loop: through the template engine a row cost
0.1-0.2 ms (an include, a dozen variable lookups each resolved, localized and escaped one by one,
filters), which made the rows half of a list page's CPU (bench/pages.py, docs/benchmarks.md):
a cell function is one call and one ``format_html``. Cell functions return plain text, which is
escaped here, or markup built with ``format_html``, which escapes what it is given."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

Cell = Callable[[Any], Any]  # a row -> the cell's text (escaped) or markup (SafeString)


@dataclass(frozen=True)
class Column:
    label: str
    cell: Cell
    css: str = ""  # "num" right-aligns numbers
    sort: str = ""  # the ``?sort=`` key that orders the rows by this column, if any
    header: str | None = None  # markup for the header instead of the label (sr-only text)


def sort_header(params: QueryDict, name: str, label: str) -> SafeString:
    """A column header that sorts by ``name`` (again: descending), keeping the filters and
    going back to the first page."""
    current = params.get("sort", "")
    params = params.copy()
    params.pop("page", None)
    params["sort"] = f"-{name}" if current == name else name
    state = "ascending" if current == name else "descending" if current == f"-{name}" else "none"
    arrow = {"ascending": " ▲", "descending": " ▼", "none": ""}[state]
    said = "" if state == "none" else f" (sorted {state})"
    return format_html('<a href="?{}">{}<span class="sr-only">{}</span>'
                       '<span aria-hidden="true">{}</span></a>', params.urlencode(), label,
                       said, arrow)


def cell_html(value: Any) -> str:
    """``conditional_escape(value)``, the same text, without the lazy-string wrapper that
    Django's ``escape`` checks every argument of every call with (a tenth of a table's cost)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def _open_cells(columns: Sequence[Column]) -> list[str]:
    """Each column's ``<td ...>``, built once per table rather than once per cell."""
    return [f'<td data-label="{escape(c.label)}"' + (f' class="{c.css}">' if c.css else ">")
            for c in columns]


def rows_html(columns: Sequence[Column], rows: Iterable[Any], *,
              row_id: Callable[[Any], str] | None = None) -> SafeString:
    """The ``<tr>`` of each row (no ``<table>``: an htmx swap of one row uses this too)."""
    opened = _open_cells(columns)
    cells = [(o, c.cell) for o, c in zip(opened, columns, strict=True)]
    out = []
    for row in rows:
        out.append(f'<tr id="{escape(row_id(row))}">' if row_id else "<tr>")
        for opening, cell in cells:
            out.append(opening)
            out.append(cell_html(cell(row)))
            out.append("</td>")
        out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 -- every cell went through cell_html


def head_html(columns: Sequence[Column], request: HttpRequest | None) -> SafeString:
    out = []
    for c in columns:
        out.append(f'<th class="{c.css}">' if c.css else "<th>")
        if c.header is not None:
            out.append(c.header)
        elif c.sort and request is not None:
            out.append(sort_header(request.GET, c.sort, c.label))
        else:
            out.append(escape(c.label))
        out.append("</th>")
    return mark_safe("".join(out))  # noqa: S308 -- labels escaped, headers given as markup


def table_html(columns: Sequence[Column], rows: Iterable[Any], table_id: str, *,
               request: HttpRequest | None = None,
               row_id: Callable[[Any], str] | None = None) -> SafeString:
    return format_html('<table class="data" id="{}"><thead><tr>{}</tr></thead>\n'
                       "<tbody>{}</tbody></table>", table_id, head_html(columns, request),
                       rows_html(columns, rows, row_id=row_id))


def dash(value: Any) -> Any:
    """A cell's value, or an em dash when there is none."""
    return "—" if value in (None, "") else value
