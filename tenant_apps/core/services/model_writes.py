"""The writes every service makes the same way: save, update a few fields, delete. One place turns
the database's refusals into the platform's errors, so no app finds them out its own way:

* a unique index violated (two requests raced past the serializer's check, or a service wrote
  without one) is a 400 naming the field, never a 500;
* a row still referenced (``on_delete=PROTECT`` / ``RESTRICT``) is a 409 with the app's code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from tenant_apps.core.errors import Conflict, InvalidInput
from tenant_apps.core.services.audit import tenant_audit

M = TypeVar("M", bound=models.Model)

UNIQUE_VIOLATION = "23505"
# PostgreSQL names the indexed columns or expressions: "Key (code)=(X)", "Key (lower(sku::text))=".
_KEY_DETAIL = re.compile(r"Key \((?P<columns>.*?)\)=\(")
_SQL_WORDS = {"lower", "upper", "text", "varchar", "character", "varying", "coalesce"}


def _field_of(detail: str) -> str:
    match = _KEY_DETAIL.search(detail or "")
    if match is None:
        return "non_field_errors"
    names = [word for word in re.findall(r"[a-z_][a-z0-9_]*", match["columns"])
             if word not in _SQL_WORDS]
    return names[0].removesuffix("_id") if names else "non_field_errors"


@contextmanager
def unique_violation_as_invalid(messages: Mapping[str, str] | None = None) -> Iterator[None]:
    """Run the block in a savepoint; a unique violation becomes a 400 on the field the index
    covers, with ``messages[field]`` or a generic message."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        cause = exc.__cause__
        if getattr(cause, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        field = _field_of(getattr(cause.diag, "message_detail", "") or "")
        message = (messages or {}).get(field, "This value is already in use.")
        raise InvalidInput(fields={field: [message]}) from None


def model_save(instance: M, *, unique_messages: Mapping[str, str] | None = None) -> M:
    with unique_violation_as_invalid(unique_messages):
        instance.save()
    return instance


def model_update(*, instance: M, fields: Iterable[str], data: Mapping[str, Any],
                 unique_messages: Mapping[str, str] | None = None) -> tuple[M, bool]:
    """Set the ``fields`` present in ``data`` and save only those (``updated_at``-style
    ``auto_now`` fields too). Returns the instance and whether anything changed. A key of
    ``data`` outside ``fields`` is a programming error, not user input: serializers refuse
    unknown fields before a service is called."""
    allowed = set(fields)
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"{type(instance).__name__} cannot update {sorted(unknown)}")
    changed = [name for name, value in data.items() if getattr(instance, name) != value]
    if not changed:
        return instance, False
    for name in changed:
        setattr(instance, name, data[name])
    auto_now = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
    with unique_violation_as_invalid(unique_messages):
        instance.save(update_fields=[*changed, *auto_now])
    return instance, True


def model_delete(instance: models.Model, *, in_use_code: str, in_use_message: str) -> None:
    """Delete, or a 409 ``in_use_code`` when other rows still point at the instance. The delete
    is in the workspace's audit log (``<model>.delete``), in the same transaction."""
    meta = instance._meta
    target, pk = str(instance), instance.pk
    try:
        with transaction.atomic():
            instance.delete()
            tenant_audit(f"{meta.model_name}.delete", target=target,
                         detail={"id": pk, "model": meta.label})
    except (models.ProtectedError, models.RestrictedError):
        raise Conflict(in_use_message, code=in_use_code) from None
