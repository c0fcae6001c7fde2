"""Cells of the CSV files users download. Names, codes and notes come from users and the files are
opened by others in spreadsheets, which run a cell starting with = + - @ (or a tab or carriage
return) as a formula: CSV injection (OWASP). Such a text cell gets a leading apostrophe."""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str | None) -> str:
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
