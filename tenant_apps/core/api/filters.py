"""A FilterSet that refuses what django-filter would silently ignore.

django-filter treats ``?to=`` (present but empty) as "no filter", and answers 200 with every row.
For a typed filter (date, number, choice, boolean) an empty value is a malformed request: an
integrator who sent ``?to=`` meant something, and a silently unfiltered list is the worst answer.
"""

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


class StrictFilterSet(filters.FilterSet):
    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, declared in self.filters.items():
            if isinstance(declared, filters.CharFilter):
                continue  # an empty text filter is a legitimate value
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [
                self.data.get(name)]
            if name in self.data and any(v is not None and str(v).strip() == "" for v in values):
                self.form.add_error(name, "Give a value or leave the parameter out.")
                valid = False
        return valid


class StrictIdField(forms.IntegerField):
    """A positive database id: digits only (Django's IntegerField would take "1.0" and "+1")."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not str(value).isdigit():
            raise forms.ValidationError("A whole number id.", code="invalid")
        return super().to_python(value)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.Filter):
    """Rows pointing at this id; an id that matches nothing gives an empty list."""

    field_class = StrictIdField
