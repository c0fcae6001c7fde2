"""Serializer building blocks shared by every tenant app."""

from collections.abc import Mapping

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
