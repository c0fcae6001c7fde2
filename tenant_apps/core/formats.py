"""How the tenant pages write values: quantities by their unit's precision, money, instants in a
named zone, durations. Template filters (templatetags/ui.py) and table cells (core/tables.py)
both use these."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

# Units counted in whole numbers (as inventory's COUNTABLE_UNITS; a core module cannot import
# a feature app).
_WHOLE_UNITS = {"pcs", "box", "pack", "pair"}


def _plain(value: Decimal, places: int) -> str:
    quantized = value.quantize(Decimal(1).scaleb(-places)) if places else value.quantize(Decimal(1))
    text = f"{quantized:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def qty(value, unit: str = "") -> str:
    """``25 pcs``, ``2.5 kg``, ``0.125 l``: whole units without decimals, others without
    trailing zeros (at most three places, the ledger's precision)."""
    if value is None or value == "":
        return "—"
    number = Decimal(value)
    places = 0 if unit in _WHOLE_UNITS else 3
    return f"{_plain(number, places)} {unit}".strip()


def money(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


def when(value: datetime | None, zone: str | None = None) -> str:
    """An instant in ``zone`` (default: the workspace's), with the zone named: the reader never
    guesses whether it is their time, the site's or UTC."""
    if value is None:
        return "—"
    tz = ZoneInfo(zone) if zone else timezone.get_current_timezone()
    local = value.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def clock(value: datetime | None, zone: str | None = None) -> str:
    if value is None:
        return "—"
    tz = ZoneInfo(zone) if zone else timezone.get_current_timezone()
    local = value.astimezone(tz)
    return f"{local:%H:%M} {local.tzname()}"


def hours(minutes) -> str:
    """Minutes as ``7 h 30 min``."""
    if minutes is None:
        return "—"
    minutes = int(minutes)
    h, m = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else ""
    return f"{sign}{h} h {m:02d} min" if h else f"{sign}{m} min"
