"""Inventory routes, mounted at /api/v1/inventory/ by the app's contract."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tenant_apps.inventory import api

router = SimpleRouter(trailing_slash=False)
router.register("categories", api.CategoryViewSet, basename="inventory-category")
router.register("products", api.ProductViewSet, basename="inventory-product")
router.register("warehouses", api.WarehouseViewSet, basename="inventory-warehouse")
router.register("stock-levels", api.StockLevelViewSet, basename="inventory-stock-level")
router.register("movements", api.MovementViewSet, basename="inventory-movement")
router.register("low-stock-alerts", api.LowStockAlertViewSet,
                basename="inventory-low-stock-alert")

urlpatterns = [
    path("valuation", api.ValuationView.as_view(), name="inventory-valuation"),
    path("imports", api.ImportView.as_view(), name="inventory-imports"),
    path("exports", api.ExportView.as_view(), name="inventory-exports"),
    path("", include(router.urls)),
]
