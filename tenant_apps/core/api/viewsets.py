"""The CRUD viewset every tenant app uses for a plain resource: DRF reads (list, retrieve,
filters, ordering, paging) and writes that go through the app's services.

    class WarehouseViewSet(ServiceModelViewSet):
        list_selector = staticmethod(selectors.warehouse_list)        # () -> QuerySet
        entity = "warehouse"
        create_service = staticmethod(services.warehouse_create)   # (**data) -> instance
        update_service = staticmethod(services.warehouse_update)   # (*, warehouse, data)
        delete_service = staticmethod(services.warehouse_delete)   # (*, warehouse)

The instance a write acts on is found through ``get_queryset`` (the tenant's own rows, as the
caller may see them), so another tenant's or a hidden id is a 404 before a service runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.response import Response

from tenant_apps.core.api.permissions import role_required
from tenant_apps.core.roles import Role


class ServiceModelViewSet(viewsets.ModelViewSet):
    permission_classes = [role_required(read=Role.VIEWER, write=Role.ADMIN)]
    list_selector: Callable[[], QuerySet]
    entity: ClassVar[str]  # the keyword the update and delete services take the instance as
    create_service: Callable[..., Any]
    update_service: Callable[..., Any]
    delete_service: Callable[..., None]

    def get_queryset(self) -> QuerySet:
        return self.list_selector()

    def perform_create(self, serializer) -> None:
        serializer.instance = self.create_service(**serializer.validated_data)

    def perform_update(self, serializer) -> None:
        serializer.instance = self.update_service(**{self.entity: serializer.instance},
                                                  data=serializer.validated_data)

    def update(self, request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        # The whole row, PATCH or PUT, rendered by a serializer that is not partial: a partial
        # one leaves out each read-only field whose source is missing (an employee's
        # user_email when it has no user) instead of giving its null, and the schema says
        # every field is there.
        return Response(self.get_serializer(serializer.instance).data)

    def perform_destroy(self, instance) -> None:
        self.delete_service(**{self.entity: instance})
