"""The inventory API under /api/v1/. Views stay thin: serializers validate, services write,
selectors read. Roles: viewers read; members record movements and acknowledge alerts; admins
(and owners) manage the catalog and warehouses and run imports and exports."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from tenant_apps.core.api.idempotency import idempotent
from tenant_apps.core.api.jobs import JobSerializer, job_accepted
from tenant_apps.core.api.key_authentication import request_api_key
from tenant_apps.core.api.permissions import role_required
from tenant_apps.core.api.viewsets import ServiceModelViewSet
from tenant_apps.core.errors import InvalidInput
from tenant_apps.core.roles import Role
from tenant_apps.core.services.jobs import job_start
from tenant_apps.inventory import selectors, services
from tenant_apps.inventory.csv_import import PayloadTooLarge, csv_check_header, csv_decode
from tenant_apps.inventory.filters import (
    LowStockAlertFilter,
    MovementFilter,
    ProductFilter,
    StockLevelFilter,
)
from tenant_apps.inventory.serializers import (
    PRODUCT_ROW_FIELDS,
    BulkMovementSerializer,
    CategorySerializer,
    ExportRequestSerializer,
    ImportRequestSerializer,
    LowStockAlertSerializer,
    MovementInputSerializer,
    MovementSerializer,
    ProductSerializer,
    StockLevelSerializer,
    ValuationSerializer,
    WarehouseSerializer,
    product_row,
)
from tenant_apps.inventory.tasks import run_export, run_import

StockPermission = role_required(read=Role.VIEWER, write=Role.MEMBER)
AdminOnly = role_required(read=Role.ADMIN, write=Role.ADMIN)


def _api_key_prefix(request) -> str:
    api_key = request_api_key(request)
    return api_key.prefix if api_key is not None else ""


# -- catalog ----------------------------------------------------------------------------------
class CategoryViewSet(ServiceModelViewSet):
    list_selector = staticmethod(selectors.category_list)
    entity = "category"
    create_service = staticmethod(services.category_create)
    update_service = staticmethod(services.category_update)
    delete_service = staticmethod(services.category_delete)
    serializer_class = CategorySerializer
    search_fields = ["name"]
    ordering_fields = ["name", "created_at", "product_count"]


class _ProductRows:
    """The product list as the paginator sees it: the count of the filtered products (no join
    to categories), and a page of rendered rows straight from ``values()`` (no model instances,
    see serializers.product_row)."""

    ordered = True

    def __init__(self, queryset) -> None:
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[dict]:
        return [product_row(values)
                for values in self.queryset.values(*PRODUCT_ROW_FIELDS)[page]]


class ProductViewSet(ServiceModelViewSet):
    list_selector = staticmethod(selectors.product_list)
    entity = "product"
    create_service = staticmethod(services.product_create)
    update_service = staticmethod(services.product_update)
    delete_service = staticmethod(services.product_delete)
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    ordering_fields = ["sku", "name", "price", "cost", "on_hand", "created_at", "updated_at"]

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(_ProductRows(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(page)


class WarehouseViewSet(ServiceModelViewSet):
    list_selector = staticmethod(selectors.warehouse_list)
    entity = "warehouse"
    create_service = staticmethod(services.warehouse_create)
    update_service = staticmethod(services.warehouse_update)
    delete_service = staticmethod(services.warehouse_delete)
    serializer_class = WarehouseSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "created_at"]


# -- stock ------------------------------------------------------------------------------------
class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """Stock of each product per warehouse (rows exist where a product was ever stocked)."""

    serializer_class = StockLevelSerializer
    permission_classes = [StockPermission]
    filterset_class = StockLevelFilter
    search_fields = ["product__sku", "product__name", "warehouse__code"]
    ordering_fields = ["quantity", "updated_at", "product__sku", "warehouse__code"]

    def get_queryset(self):
        return selectors.stock_level_list()


class MovementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """The stock ledger. Movements are never changed or deleted: a mistake is corrected by an
    adjustment. POSTs accept an ``Idempotency-Key`` header."""

    serializer_class = MovementSerializer
    permission_classes = [StockPermission]
    filterset_class = MovementFilter
    # A scan of the ledger: for finding a delivery note, not for browsing.
    search_fields = ["reference", "note"]
    ordering_fields = ["occurred_at", "created_at", "quantity"]

    def get_queryset(self):
        return selectors.movement_list()

    @extend_schema(request=MovementInputSerializer, responses={201: MovementSerializer})
    @idempotent
    def create(self, request):
        serializer = MovementInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        movement = services.stock_movements_record(
            movements=[serializer.to_movement()], created_by=request.user,
            api_key_prefix=_api_key_prefix(request), batch=False)[0]
        return Response(MovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BulkMovementSerializer, responses={201: MovementSerializer(many=True)})
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request):
        """Up to 1000 movements, applied in order in one transaction: all or none. Errors name
        the item: ``items.3.quantity``."""
        serializer = BulkMovementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        movements = services.stock_movements_record(
            movements=serializer.to_movements(), created_by=request.user,
            api_key_prefix=_api_key_prefix(request))
        data = MovementSerializer(movements, many=True).data
        return Response({"count": len(data), "items": data}, status=status.HTTP_201_CREATED)


class ValuationView(APIView):
    permission_classes = [StockPermission]

    @extend_schema(responses=ValuationSerializer)
    def get(self, request):
        """Stock value at current unit cost, per warehouse and in total."""
        return Response(ValuationSerializer(selectors.stock_valuation()).data)


class LowStockAlertViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = LowStockAlertSerializer
    permission_classes = [StockPermission]
    filterset_class = LowStockAlertFilter
    search_fields = ["product__sku", "product__name"]
    ordering_fields = ["created_at", "quantity"]

    def get_queryset(self):
        return selectors.low_stock_alert_list()

    @extend_schema(request=None, responses=LowStockAlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = services.low_stock_alert_acknowledge(alert=self.get_object(), user=request.user)
        return Response(LowStockAlertSerializer(alert).data)


# -- imports and exports ----------------------------------------------------------------------
class CsvParser(parsers.BaseParser):
    """A bare text/csv body, read up to MAX_IMPORT_BYTES (the rest is never read)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> dict:
        limit = settings.MAX_IMPORT_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The file is larger than {limit:,} bytes; split it into "
                                  "parts.")
        return {"__csv__": raw}


# Multipart framing around the file: boundaries, part headers, the kind field.
_MULTIPART_SLACK = 64 * 1024


class ImportView(APIView):
    """Queue a CSV import: ``multipart/form-data`` with ``kind`` and ``file``, or a
    ``text/csv`` body with ``?kind=``. Answers 202 with the job; see docs/inventory.md."""

    permission_classes = [AdminOnly]
    parser_classes = [parsers.MultiPartParser, CsvParser]

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer, "text/csv": OpenApiTypes.STR},
        parameters=[OpenApiParameter("kind", str, enum=["products", "stock"],
                                     description="For a text/csv body.")],
        responses={202: JobSerializer})
    def post(self, request):
        # Refuse an oversized body from its declared length, before reading any of it.
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > settings.MAX_IMPORT_BYTES + _MULTIPART_SLACK:
            raise PayloadTooLarge(f"The file is larger than {settings.MAX_IMPORT_BYTES:,} "
                                  "bytes; split it into parts.")
        data = request.data
        if "__csv__" in data:
            form = ImportRequestSerializer(data={"kind": request.query_params.get("kind")})
            form.is_valid(raise_exception=True)
            raw = data["__csv__"]
        else:
            form = ImportRequestSerializer(data=data)
            form.is_valid(raise_exception=True)
            upload = form.validated_data.get("file")
            if upload is None:
                raise InvalidInput(fields={"file": ["No file was submitted."]})
            if upload.size > settings.MAX_IMPORT_BYTES:
                raise PayloadTooLarge(f"The file is larger than {settings.MAX_IMPORT_BYTES:,} "
                                      "bytes; split it into parts.")
            raw = upload.read()
        kind = form.validated_data["kind"]
        text = csv_decode(raw)
        csv_check_header(kind=kind, text=text)
        job = job_start(kind=f"inventory.import_{kind}", task=run_import,
                        created_by=request.user, params={"kind": kind}, input_text=text,
                        audit="inventory.import")
        return job_accepted(job)


class ExportView(APIView):
    """Queue a CSV export (``{"kind": "products"}`` or ``"stock"``); answers 202 with the job,
    whose file is then at /api/v1/jobs/{id}/download."""

    permission_classes = [AdminOnly]

    @extend_schema(request=ExportRequestSerializer, responses={202: JobSerializer})
    def post(self, request):
        form = ExportRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        kind = form.validated_data["kind"]
        job = job_start(kind=f"inventory.export_{kind}", task=run_export,
                        created_by=request.user, params={"kind": kind})
        return job_accepted(job)
