from django.apps import AppConfig


class ApiKeysConfig(AppConfig):
    name = "tenant_apps.api_keys"
    label = "api_keys"
    verbose_name = "API keys"
