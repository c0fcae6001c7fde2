"""Serializer building blocks shared by every tenant app."""

from collections.abc import Mapping

from django.db.models import QuerySet
from rest_framework import serializers


class StrictFieldsMixin:
    """Unknown keys in a body are a 400 that names them, and text fields take text only (DRF
    would silently turn 0 or true into "0" and "True"). Put it before the serializer class."""

    def to_internal_value(self, data):
        problems: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            problems = {name: ["Unknown field."] for name in sorted(set(data) - set(self.fields))}
            for name, field in self.fields.items():
                value = data.get(name)
                if (isinstance(field, serializers.CharField) and not field.read_only
                        and value is not None and not isinstance(value, str)):
                    problems[name] = ["Not a valid string."]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if problems and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **problems}) from None
            raise
        if problems:
            raise serializers.ValidationError(problems)
        return value


def refuse_taken(serializer: serializers.Serializer, queryset: QuerySet, message: str) -> None:
    """A 400 on the field being validated when another row than the one being edited matches
    ``queryset``: the friendly half of a uniqueness rule (the index is the other half, turned
    into the same 400 by the core's model writes when two requests race)."""
    if serializer.instance is not None:
        queryset = queryset.exclude(pk=serializer.instance.pk)
    if queryset.exists():
        raise serializers.ValidationError(message)
