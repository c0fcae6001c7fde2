"""The platform's one error hierarchy. Services raise these; the API's exception handler turns
each into ``{"error": {"code", "message", "fields"}}`` with the class's HTTP status."""

from __future__ import annotations


class PlatformError(Exception):
    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 fields: dict[str, list[str]] | None = None) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.fields = fields or {}
        super().__init__(self.message)


class InvalidInput(PlatformError):
    status = 400
    code = "invalid"
    message = "Some fields are invalid."


class Unprocessable(PlatformError):
    status = 422
    code = "unprocessable"


class NotFound(PlatformError):
    status = 404
    code = "not_found"
    message = "Not found."


class Forbidden(PlatformError):
    status = 403
    code = "permission_denied"
    message = "You do not have permission to do this."


class Conflict(PlatformError):
    status = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class ServiceUnavailable(PlatformError):
    """A dependency (the database, Redis) cannot be reached: the client should try again."""

    status = 503
    code = "service_unavailable"
    message = "The service is briefly unavailable. Try again in a moment."
