"""Reading, exporting and purging an audit log. The platform's log (public) and each workspace's
log have the same columns, so the console, the tenant pages, both APIs and the CLI share this
code; each log's services pass their own model.

Filters: ``actor`` and ``target`` match a part (case-insensitive), ``action`` matches exactly or,
ending with a dot (``api_key.``), as a prefix; ``since`` / ``until`` are ISO dates or date-times
(a date ``until`` includes that whole day). A malformed value is an ``InvalidInput`` naming it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, time, timedelta

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from tenant_apps.core.csv_cells import csv_safe
from tenant_apps.core.errors import InvalidInput

FILTERS = ("actor", "action", "target", "since", "until")
CSV_COLUMNS = ("at", "actor", "impersonator", "action", "target", "detail", "ip")


def _moment(name: str, raw: str, *, end_of_day: bool) -> tuple[datetime, bool]:
    """The instant ``raw`` names, and whether it was a date (then, with ``end_of_day``, the
    start of the next day)."""
    invalid = InvalidInput(fields={name: ["Use a date (2026-01-31) or date-time "
                                          "(2026-01-31T09:00:00Z)."]})
    try:  # a well-formed but impossible value (2026-13-45) raises ValueError
        # A date first: parse_datetime() would also take "2026-01-31", as midnight.
        day = parse_date(raw)
        value = parse_datetime(raw) if day is None else None
    except ValueError:
        raise invalid from None
    if value is None and day is None:
        raise invalid
    try:  # 9999-12-31 + 1 day, or year 1 shifted out of range by a time zone
        if value is None:
            value = datetime.combine(day + timedelta(days=1) if end_of_day else day, time.min)
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_current_timezone())
        value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise invalid from None
    return value, day is not None


def audit_filter(rows: models.QuerySet, params: Mapping[str, str]) -> models.QuerySet:
    """``rows`` narrowed by the filters present (and non-empty) in ``params``."""
    actor = (params.get("actor") or "").strip()
    action = (params.get("action") or "").strip()
    target = (params.get("target") or "").strip()
    errors: dict[str, list[str]] = {}
    for name in FILTERS:
        value = params.get(name) or ""
        if len(value) > 254:
            errors[name] = ["At most 254 characters."]
        elif "\x00" in value:  # PostgreSQL refuses NUL in text: a 400, not a 500
            errors[name] = ["Must not contain NUL characters."]
    if errors:
        raise InvalidInput(fields=errors)
    if actor:
        rows = rows.filter(actor__icontains=actor)
    if action:
        rows = (rows.filter(action__startswith=action) if action.endswith(".")
                else rows.filter(action=action))
    if target:
        rows = rows.filter(target__icontains=target)
    since, until = (params.get("since") or "").strip(), (params.get("until") or "").strip()
    if since:
        rows = rows.filter(at__gte=_moment("since", since, end_of_day=False)[0])
    if until:
        moment, is_day = _moment("until", until, end_of_day=True)
        rows = rows.filter(at__lt=moment) if is_day else rows.filter(at__lte=moment)
    return rows


def audit_csv(rows: Iterable[models.Model]) -> Iterator[str]:
    """The entries as CSV text, a line at a time (for a streaming response). Every text cell
    goes through ``csv_safe``: an actor or target starting with ``=`` must not become a formula
    in the spreadsheet of whoever opens the export."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: list[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield line(list(CSV_COLUMNS))
    for entry in rows:
        detail = entry.detail or {}
        yield line([entry.at.isoformat(), csv_safe(entry.actor),
                    csv_safe(getattr(entry, "impersonator", "")), csv_safe(entry.action),
                    csv_safe(entry.target),
                    csv_safe(_detail_text(detail)), csv_safe(entry.ip)])


def _detail_text(detail: dict) -> str:
    import json

    return json.dumps(detail, sort_keys=True, default=str) if detail else ""


def audit_purge(model: type[models.Model], *, days: int) -> tuple[int, datetime]:
    """Delete the entries of ``model`` older than ``days``; returns (how many, the cut-off).
    The append-only trigger lets this DELETE through only because of the transaction-local
    ``audit.purge_before`` setting, and only for rows older than its floor as well
    (tenant_apps/core/audit_immutability.py)."""
    cutoff = timezone.now() - timedelta(days=days)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('audit.purge_before', %s, true)", [cutoff.isoformat()])
        deleted, _ = model.objects.filter(at__lt=cutoff).delete()
        cursor.execute("SELECT set_config('audit.purge_before', '', true)")
    return deleted, cutoff
