"""List, create, edit and delete pages for a plain resource (a warehouse, a site, a shift...):
one pattern for every app, as ``ServiceModelViewSet`` is for the API.

The form parses what the browser sent (types, required fields, choices); the app's services
decide, and their ``InvalidInput`` / ``Conflict`` land on the form's fields
(``pages.show_errors``). Rows are found through the app's selector, so another tenant's id (or
one the user may not see) is a 404 before a service runs."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from tenant_apps.core.errors import PlatformError
from tenant_apps.core.links import object_url
from tenant_apps.core.pages import can, page, paginate, show_errors
from tenant_apps.core.roles import Role
from tenant_apps.core.tables import Column

__all__ = ["Column", "Resource", "ServiceModelForm"]


class ServiceModelForm(forms.ModelForm):
    """A ModelForm for a service-backed page: it parses and checks each field; uniqueness is
    left to the service (``model_save`` turns a violated unique index into an error on the
    field, with the app's message), so the form makes no query for it."""

    def validate_unique(self) -> None:
        pass

    def _post_clean(self) -> None:
        model, instance = type(self.instance), self.instance
        checks = [c for c in model._meta.constraints
                  if not isinstance(c, models.UniqueConstraint)]

        def validate_constraints(exclude=None) -> None:
            errors = []
            for constraint in checks:
                try:
                    constraint.validate(model, instance, exclude=exclude)
                except ValidationError as exc:
                    errors.append(exc)
            if errors:
                raise ValidationError(errors)

        instance.validate_constraints = validate_constraints
        try:
            super()._post_clean()
        finally:
            del instance.validate_constraints


@dataclass
class Resource:
    """The pages of one resource, mounted at ``<slug>/``, ``<slug>/new``, ``<slug>/<id>/``."""

    slug: str  # URL segment and URL-name prefix: "warehouses"
    singular: str  # "warehouse"
    plural: str  # "Warehouses"
    form: type[forms.BaseForm]
    selector: Callable[[], QuerySet]
    create: Callable[..., Any]  # (**cleaned_data) -> instance
    update: Callable[..., Any]  # (*, <entity>=instance, data=cleaned_data)
    delete: Callable[..., None]  # (*, <entity>=instance)
    entity: str
    columns: list[Column]
    namespace: str  # the app's URL namespace
    search: Callable[[QuerySet, str], QuerySet] | None = None
    write_role: str = Role.ADMIN
    read_role: str = Role.VIEWER
    tabs: list[tuple[str, str]] = field(default_factory=list)  # (label, url name) of the app
    intro: str = ""
    list_name: str = ""  # where "all <plural>" leads, when the app has its own list page

    @property
    def url_list(self) -> str:
        return reverse(self.list_name) if self.list_name else self.url("list")

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{self.slug}-{name}", args=args)

    def _context(self, request: HttpRequest, **extra) -> dict:
        return {"resource": self, "can_write": can(request, self.write_role),
                "tabs": self.tabs, **extra}

    def list_view(self, request: HttpRequest) -> HttpResponse:
        rows = self.selector()
        term = request.GET.get("q", "").strip()
        if term and self.search is not None:
            rows = self.search(rows, term)
        page_obj = paginate(request, rows)
        template = "ui/resource_rows.html" if request.htmx else "ui/resource_list.html"
        return render(request, template, self._context(
            request, page_obj=page_obj, columns=self._linked_columns(), q=term,
            new_url=self.url("new")))

    def _linked_columns(self) -> list[Column]:
        """The columns, the first one's value a link to the row's edit page."""
        first, *rest = self.columns
        edit = f"{self.namespace}:{self.slug}-edit"
        linked = Column(first.label, lambda obj: format_html(
            '<a href="{}">{}</a>', object_url(edit, obj.pk), first.cell(obj)), first.css)
        return [linked, *rest]

    def _saved(self, request: HttpRequest, what: str) -> HttpResponse:
        messages.success(request, what)
        return redirect(self.url_list)

    def create_view(self, request: HttpRequest) -> HttpResponse:
        form = self.form(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                obj = self.create(**form.cleaned_data)
            except PlatformError as exc:
                show_errors(form, exc)
            else:
                return self._saved(request, f"{self.singular.capitalize()} {obj} created.")
        return render(request, "ui/resource_form.html", self._context(
            request, form=form, obj=None, title=f"New {self.singular}"))

    def edit_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = get_object_or_404(self.selector(), pk=pk)
        writable = can(request, self.write_role)
        # A copy: a ModelForm writes the input onto its instance, and the service must see the
        # row as it is to tell what changed.
        form = self.form(request.POST or None, instance=copy.copy(obj))
        if request.method == "POST":
            if not writable:
                return HttpResponse("Your role does not allow this.", status=403)
            if form.is_valid():
                data = {name: value for name, value in form.cleaned_data.items()
                        if name in form.changed_data}
                try:
                    obj = self.update(**{self.entity: obj}, data=data)
                except PlatformError as exc:
                    show_errors(form, exc)
                else:
                    return self._saved(request, f"{self.singular.capitalize()} {obj} saved.")
        if not writable:
            for bound in form:
                bound.field.disabled = True
        return render(request, "ui/resource_form.html", self._context(
            request, form=form, obj=obj, title=f"{self.singular.capitalize()} {obj}",
            delete_url=self.url("delete", obj.pk)))

    def delete_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = get_object_or_404(self.selector(), pk=pk)
        if request.method != "POST":
            return redirect(self.url("edit", pk))
        try:
            self.delete(**{self.entity: obj})
        except PlatformError as exc:
            messages.error(request, exc.message)
            return redirect(self.url("edit", pk))
        return self._saved(request, f"{self.singular.capitalize()} {obj} deleted.")

    def urls(self) -> list:
        read, write = page(self.read_role), page(self.write_role)
        return [
            path(f"{self.slug}/", read(self.list_view), name=f"{self.slug}-list"),
            path(f"{self.slug}/new", write(self.create_view), name=f"{self.slug}-new"),
            path(f"{self.slug}/<int:pk>/edit", read(self.edit_view), name=f"{self.slug}-edit"),
            path(f"{self.slug}/<int:pk>/delete", write(self.delete_view),
                 name=f"{self.slug}-delete"),
        ]
