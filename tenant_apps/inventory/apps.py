from django.apps import AppConfig

from tenant_apps.core.contract import NavEntry, PeriodicJob, TenantAppContract


class InventoryConfig(AppConfig):
    name = "tenant_apps.inventory"
    label = "inventory"
    verbose_name = "Inventory"
    contract = TenantAppContract(
        prefix="inventory",
        api_urls="tenant_apps.inventory.urls",
        web_urls="tenant_apps.inventory.web",
        nav=(NavEntry("Inventory", "inventory:home",
                      description="products, stock per warehouse, low-stock alerts"),),
        dashboard="tenant_apps.inventory.web.dashboard",
        demo_seeder="tenant_apps.inventory.demo.seed",
        periodic_jobs=(PeriodicJob("inventory-low-stock-check", "inventory.check_low_stock",
                                   {"minute": 30, "hour": 5}),),
        usage_counters={"products": "inventory.Product", "warehouses": "inventory.Warehouse",
                        "movements": "inventory.StockMovement"},
    )
