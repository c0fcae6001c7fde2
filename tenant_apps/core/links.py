"""URLs of the tenant pages' rows and navigation without a full ``reverse()`` each time.

``reverse()`` walks the URL resolver on every call (~30-40 µs): a list page of 50 rows with two
links each, plus the navigation and the section tabs, spent 2-4 ms of its CPU there
(bench/pages.py). Here a URL name is reversed once per URL configuration and script prefix:
names without arguments are kept whole, and an object link keeps the text around one integer
argument (``/inventory/products/`` + pk + ``/``), so every later call is a string format."""

from __future__ import annotations

from functools import cache

from django.urls import get_script_prefix, get_urlconf, reverse

# Stands for the argument while the pattern is reversed: an int no route turns into anything
# but its digits, and no other part of a URL contains.
_MARK = 987654321987


@cache
def _named(urlconf: str | None, prefix: str, name: str) -> str:
    return reverse(name, urlconf=urlconf)


@cache
def _around(urlconf: str | None, prefix: str, name: str) -> tuple[str, str]:
    url = reverse(name, args=[_MARK], urlconf=urlconf)
    before, mark, after = url.partition(str(_MARK))
    if not mark:  # a route that does not print its argument as is: no shortcut
        raise ValueError(f"URL {name!r} does not take one integer argument")
    return before, after


def named_url(name: str) -> str:
    """``reverse(name)`` for a URL without arguments."""
    return _named(get_urlconf(), get_script_prefix(), name)


def object_url(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a URL whose one argument is an integer (an id)."""
    before, after = _around(get_urlconf(), get_script_prefix(), name)
    return f"{before}{int(pk)}{after}"
