"""What the attendance services share: row locks taken in one order (employee, then record)."""

from __future__ import annotations

from django.db import IntegrityError, models

from tenant_apps.core.errors import NotFound

M = models.Model


def violated_constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def locked(model: type[M], pk: int, what: str) -> M:
    """The row, locked until the transaction ends; NotFound when it does not exist."""
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"No such {what}.")
    return obj
