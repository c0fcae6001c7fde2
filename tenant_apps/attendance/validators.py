"""Validation shared by models and serializers (the time-zone check lives in the core: workspace
settings use it too)."""

from tenant_apps.core.validators import validate_time_zone

__all__ = ["validate_time_zone"]
