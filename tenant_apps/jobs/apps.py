from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "tenant_apps.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
