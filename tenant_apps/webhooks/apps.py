from django.apps import AppConfig

from tenant_apps.core.contract import NavEntry, PeriodicJob, TenantAppContract
from tenant_apps.core.roles import Role


class WebhooksConfig(AppConfig):
    """Outgoing webhooks (Standard Webhooks 1.0): endpoints, the outbox, deliveries."""

    name = "tenant_apps.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
    contract = TenantAppContract(
        prefix="webhooks",
        api_urls="tenant_apps.webhooks.urls",
        web_urls="tenant_apps.webhooks.web",
        nav=(NavEntry("Webhooks", "webhooks:home", min_role=Role.ADMIN,
                      description="signed event notifications to your systems"),),
        demo_seeder="tenant_apps.webhooks.demo.seed",
        periodic_jobs=(
            # Retries after long waits, and deliveries whose worker died mid-attempt.
            PeriodicJob("webhooks-dispatch-due", "webhooks.dispatch_due", {"minute": "*"},
                        marked_only=True),
            PeriodicJob("webhooks-purge-log", "webhooks.purge_log", {"minute": 41, "hour": 4}),
        ),
        usage_counters={"webhook_endpoints": "webhooks.Endpoint"},
    )

    def ready(self) -> None:
        from tenant_apps.core.events import events_emitted
        from tenant_apps.webhooks.services.outbox import on_events_emitted

        events_emitted.connect(on_events_emitted, dispatch_uid="webhooks-outbox")

        from celery.signals import worker_ready, worker_shutdown

        from tenant_apps.webhooks.listener import start_on_worker_ready, stop_on_worker_shutdown

        worker_ready.connect(start_on_worker_ready, dispatch_uid="webhooks-listener-start")
        worker_shutdown.connect(stop_on_worker_shutdown, dispatch_uid="webhooks-listener-stop")
