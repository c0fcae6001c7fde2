"""OpenAPI post-processing: every operation documents the platform's error responses, in the
one error format, so integrators (and Schemathesis) know what a 4xx looks like."""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}

ERROR_STATUSES = {
    "400": "Invalid input (see error.fields).",
    "401": "Not authenticated.",
    "403": "Not allowed (role, key scope, or tenant suspended).",
    "404": "Not found (or not visible to the caller).",
    "405": "Method not allowed.",
    "409": "Conflicts with the current state.",
    "413": "Payload too large.",
    "415": "Unsupported media type.",
    "422": "Refused by a business rule.",
    "429": "Rate limited; see Retry-After.",
}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(status, {"description": description, "content": content})
    return result
