from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "tenant_apps.inventory"
    label = "inventory"
    verbose_name = "Inventory"
