"""The event catalogue: every event type an endpoint can subscribe to, with the JSON schema of
its payload. Published at GET /api/v1/webhooks/event-types (and in the OpenAPI schema's
components) and in docs/webhooks.md.

Every payload is ``{"type", "timestamp", "data"}``. ``data`` is thin: ids and the few fields an
integrator needs to decide whether to fetch the resource through the API. A schema's ``version``
changes only for an incompatible change (a field removed or retyped); new optional fields may
appear at any time, so receivers must ignore fields they do not know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Payloads stay far below this; an event above it is a bug of its emitter (refused loudly).
MAX_PAYLOAD_BYTES = 20 * 1024
TEST_EVENT = "webhook.test"

_ID = {"type": "integer"}
_STR = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_DECIMAL = {"type": "string", "description": "A decimal number, as a string (no rounding)."}
_WAREHOUSE = {"type": ["object", "null"], "required": ["id", "code"],
              "properties": {"id": _ID, "code": _STR}}


def _obj(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "required": [k for k in properties if k not in optional],
            "properties": properties, "additionalProperties": True}


_PRODUCT = _obj({"id": _ID, "sku": _STR, "name": _STR, "is_active": {"type": "boolean"},
                 "reorder_level": _DECIMAL, "updated_at": _TIME})
_ATTENDANCE = _obj({"id": _ID, "employee": _obj({"id": _ID, "code": _STR}),
                    "site": _obj({"id": _ID, "name": _STR}),
                    "check_in_at": _TIME, "check_out_at": {"type": ["string", "null"],
                                                           "format": "date-time"},
                    "source": _STR})


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    data: dict[str, Any]
    version: int = 1
    reserved: bool = False  # documented, not yet emitted (no feature emits it)
    subscribable: bool = True

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the whole payload."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:saas-platform:webhooks:{self.name}:v{self.version}",
            "title": self.name,
            "type": "object",
            "required": ["type", "timestamp", "data"],
            "properties": {"type": {"const": self.name}, "timestamp": _TIME, "data": self.data},
        }


@dataclass(frozen=True)
class _Catalogue:
    types: tuple[EventType, ...] = field(default_factory=tuple)

    def get(self, name: str) -> EventType | None:
        return next((t for t in self.types if t.name == name), None)


CATALOGUE = _Catalogue(types=(
    EventType("stock.low", "The daily check found a product at or below its reorder level in a "
              "warehouse (one event per new low-stock alert).",
              _obj({"product": _obj({"id": _ID, "sku": _STR}), "warehouse": _WAREHOUSE,
                    "quantity": _DECIMAL, "reorder_level": _DECIMAL})),
    EventType("stock.movement.recorded", "A stock movement was recorded (one event per "
              "movement; a bulk request of n movements sends n events).",
              _obj({"id": _ID, "kind": {"enum": ["receipt", "issue", "transfer", "adjustment"]},
                    "product": _obj({"id": _ID, "sku": _STR}), "quantity": _DECIMAL,
                    "from_warehouse": _WAREHOUSE, "to_warehouse": _WAREHOUSE,
                    "reference": _STR, "occurred_at": _TIME})),
    EventType("product.created", "A product was added to the catalog.", _PRODUCT),
    EventType("product.updated", "A product's fields changed (not its stock: see "
              "stock.movement.recorded).", _PRODUCT),
    EventType("product.deleted", "A product was deleted.", _obj({"id": _ID, "sku": _STR})),
    EventType("attendance.checked_in", "An employee checked in.", _ATTENDANCE),
    EventType("attendance.checked_out", "An employee checked out.", _ATTENDANCE),
    EventType("attendance.corrected", "An admin corrected a record's times or site.",
              _obj({**_ATTENDANCE["properties"], "fields": {"type": "array", "items": _STR},
                    "reason": {"type": "string", "maxLength": 500}})),
    EventType("import.finished", "A CSV import job finished, successfully or not.",
              _obj({"job_id": _ID, "kind": _STR,
                    "status": {"enum": ["succeeded", "failed"]},
                    "result": {"type": "object"}, "error": _STR})),
    EventType("api_key.created", "An API key was created.",
              _obj({"id": _ID, "name": _STR, "prefix": _STR, "scope": _STR})),
    EventType("api_key.revoked", "An API key was revoked.",
              _obj({"id": _ID, "name": _STR, "prefix": _STR, "scope": _STR})),
    EventType("member.invited", "Reserved: a member was invited (no members feature yet).",
              _obj({"id": _ID, "email": _STR, "role": _STR}), reserved=True),
    EventType("member.joined", "Reserved: an invited member joined.",
              _obj({"id": _ID, "email": _STR, "role": _STR}), reserved=True),
    EventType("member.removed", "Reserved: a member was removed.",
              _obj({"id": _ID, "email": _STR}), reserved=True),
    EventType(TEST_EVENT, "Sent by the \"send test event\" action to one endpoint only; "
              "cannot be subscribed to.", _obj({"endpoint_id": _ID, "message": _STR}),
              subscribable=False),
))

SUBSCRIBABLE = tuple(t.name for t in CATALOGUE.types if t.subscribable)


def catalogue_entries() -> list[dict[str, Any]]:
    """The catalogue as the API and the docs publish it."""
    return [{"type": t.name, "version": t.version, "description": t.description,
             "reserved": t.reserved, "subscribable": t.subscribable, "schema": t.schema()}
            for t in CATALOGUE.types]
