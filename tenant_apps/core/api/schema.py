"""OpenAPI post-processing: every operation documents the platform's error responses, in the
one error format, so integrators (and Schemathesis) know what a 4xx looks like; the operations
that honour ``Idempotency-Key`` document it as a header parameter, and every operation
documents the RateLimit headers of its responses."""

from tenant_apps.core.api.idempotency import HEADER, MAX_KEY_LENGTH, RETENTION_HOURS

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


IDEMPOTENCY_PARAMETER = {
    "name": HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": (
        "Any unique string (a UUID) per logical request. A retry with the same key within "
        f"{RETENTION_HOURS} hours gets the first response again (with `Idempotent-Replayed: "
        "true`) and writes nothing; the same key with another body is 422 "
        "`idempotency_key_reused`. Keys are scoped to the caller and the endpoint."),
}
RATELIMIT_HEADERS = {
    "RateLimit-Policy": {"description": "The limits that apply (IETF draft "
                                        "ratelimit-headers): `\"tenant\";q=6000;w=60`.",
                         "schema": {"type": "string"}},
    "RateLimit": {"description": "What is left: `\"tenant\";r=5998;t=41` (requests, seconds "
                                 "to the reset).", "schema": {"type": "string"}},
}


def _handler(callback, method: str):
    view_class = getattr(callback, "cls", None)
    actions = getattr(callback, "actions", None)
    name = actions.get(method.lower()) if actions else method.lower()
    return getattr(view_class, name, None) if view_class and name else None


def add_idempotency_and_rate_limit_headers(result, generator, request, public):
    paths = result.get("paths", {})
    for path, _regex, method, callback in generator.endpoints or ():
        operation = paths.get(path, {}).get(method.lower())
        if operation is None:
            continue
        if getattr(_handler(callback, method), "idempotent", False):
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == HEADER for p in parameters):
                parameters.append(dict(IDEMPOTENCY_PARAMETER))
    for path_item in paths.values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                if status.startswith(("2", "429")):
                    response.setdefault("headers", {}).update(RATELIMIT_HEADERS)
    return result
