"""OpenAPI post-processing: the webhook event catalogue as components
(``WebhookEvent.<type>``), so integrators find the payloads next to the API that manages the
endpoints. drf-spectacular writes OpenAPI 3.0, whose schema dialect predates JSON Schema
2020-12: ``type: [X, "null"]`` becomes ``nullable`` and ``const`` a one-value ``enum``. The
2020-12 originals are at GET /api/v1/webhooks/event-types."""

from __future__ import annotations

from typing import Any

from tenant_apps.webhooks.catalogue import CATALOGUE


def _openapi_30(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_openapi_30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("$schema", "$id"):
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "type" and isinstance(value, list):
            kinds = [v for v in value if v != "null"]
            out["type"] = kinds[0]
            if "null" in value:
                out["nullable"] = True
        elif key in ("properties",):
            out[key] = {name: _openapi_30(sub) for name, sub in value.items()}
        else:
            out[key] = _openapi_30(value)
    return out


def add_webhook_event_schemas(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for event_type in CATALOGUE.types:
        schema = _openapi_30(event_type.schema())
        schema["description"] = (f"Webhook payload `{event_type.name}` v{event_type.version}: "
                                 f"{event_type.description}")
        schemas[f"WebhookEvent.{event_type.name}"] = schema
    return result
