from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self) -> None:
        from tenants import deletion, observability, signals
        from tenants.plans import limits

        deletion.install()
        limits.install()
        observability.install_celery_signals()
        post_migrate.connect(signals.migrate_template_after_public, sender=self,
                             dispatch_uid="tenants_migrate_template_after_public")
