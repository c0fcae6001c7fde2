from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The operators' console on the public host: pages only, no tables of its own (the data it
    shows lives in the control plane, ``tenants``, and the platform audit log)."""

    name = "shared_apps.console"
    label = "console"
    verbose_name = "Operator console"
