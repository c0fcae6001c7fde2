"""Query-parameter filters shared by every tenant app's lists: each refuses what django-filter
or DRF would silently ignore. An integrator who sent ``?to=``, ``?active=maybe``, ``?product=abc``
or ``?ordering=bogus`` meant something, and a silently unfiltered (or unordered) list is the worst
answer: each is a 400 naming the parameter."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django import forms
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.filters import OrderingFilter, SearchFilter


class StrictFilterSet(filters.FilterSet):
    """A present but empty typed parameter (date, number, choice, boolean) is a 400."""

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
    """Rows pointing at this id; an id that matches nothing gives an empty list. An integer, not
    NumberFilter's decimal: a numeric parameter compared with a bigint column would keep
    PostgreSQL from using the index."""

    field_class = StrictIdField


class StrictBooleanField(forms.Field):
    TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Use true or false.")


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanFilter(filters.Filter):
    """``true``/``false`` (or 1/0, yes/no); anything else is a 400."""

    field_class = StrictBooleanField


class InstantField(forms.Field):
    """An ISO 8601 date (midnight UTC) or date and time; without an offset, UTC."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            parsed = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise forms.ValidationError(
                "Enter a date (2026-01-31) or a date and time (2026-01-31T08:00:00Z).") from None
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=dt.UTC)
        try:
            # Sent to PostgreSQL in UTC: it refuses offsets beyond +-15:59 that Python accepts.
            return parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("That instant is out of range.") from None


@extend_schema_field(OpenApiTypes.DATETIME)
class InstantFilter(filters.Filter):
    field_class = InstantField


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` with a field the list cannot be ordered by is a 400 listing the choices
    (DRF would silently fall back to the default order)."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len(fields):
            choices = [name for name, _ in self.get_valid_fields(queryset, view,
                                                                 {"request": request})]
            raise serializers.ValidationError(
                {self.ordering_param: [f"Order by one of: {', '.join(choices)} (prefix - for "
                                       "descending)."]})
        return valid

    def get_schema_operation_parameters(self, view):
        # Likewise: no ordering_fields, no ?ordering= in the schema (DRF's default, "every
        # serializer field", would offer computed fields the database cannot order by).
        if getattr(view, "ordering_fields", None) is None:
            return []
        return super().get_schema_operation_parameters(view)


class BoundedSearchFilter(SearchFilter):
    """``?search=``, bounded: at most ``max_length`` characters and ``max_terms`` words (each
    word is one more ILIKE over every search field), no NUL character (PostgreSQL refuses it in
    text). Beyond that a 400 naming the parameter, rather than a slow query or a 500."""

    max_length = 200
    max_terms = 10

    def get_schema_operation_parameters(self, view):
        # DRF advertises ?search= on every list, searchable or not; a list without
        # search_fields would ignore it (a FilterSet may still declare its own ``search``).
        if not getattr(view, "search_fields", None):
            return []
        return super().get_schema_operation_parameters(view)

    def get_search_terms(self, request):
        raw = request.query_params.get(self.search_param, "")
        problem = None
        if len(raw) > self.max_length:
            problem = f"At most {self.max_length} characters."
        elif "\x00" in raw:
            problem = "Must not contain NUL characters."
        terms = super().get_search_terms(request)
        if problem is None and len(terms) > self.max_terms:
            problem = f"At most {self.max_terms} words."
        if problem:
            raise serializers.ValidationError({self.search_param: [problem]})
        return terms
