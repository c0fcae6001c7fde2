"""Maps every exception an API view can raise to the one error format."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tenant_apps.core.errors import PlatformError
from tenant_apps.core.outages import RETRY_AFTER_SECONDS, outage_error

logger = logging.getLogger(__name__)

# DRF exception class -> our code, where DRF's own default_code is not descriptive enough.
_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.ParseError: "malformed_request",
    exceptions.ValidationError: "invalid",
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [f"{k}: {m}" for k, v in detail.items() for m in _flatten(v)]
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten(item)]
    return [str(detail)]


def _fields(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as {field: [messages]}; nested paths are dotted."""
    if not isinstance(detail, dict):
        return {}
    out: dict[str, list[str]] = {}
    for key, value in detail.items():
        if isinstance(value, dict):
            for sub, msgs in _fields(value).items():
                out[f"{key}.{sub}"] = msgs
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                for sub, msgs in _fields(item).items():
                    out[f"{key}.{index}.{sub}"] = msgs
        else:
            out[str(key)] = _flatten(value)
    return out


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("request_too_large", "The request body is larger than "
                       f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        # Too many form fields or files (DATA_UPLOAD_MAX_NUMBER_*), a malformed multipart body:
        # Django would answer its HTML 400; the API answers in its own format.
        return Response(error_body("malformed_request", str(exc) or "Malformed request."),
                        status=status.HTTP_400_BAD_REQUEST)
    outage = outage_error(exc)
    if outage is not None:
        # The database or Redis is unreachable: "try again", not a server error. The outage
        # middleware (tenants/outages.py) sees the mark and may retry a read once.
        logger.warning("%s unavailable: %s: %s", outage.dependency, exc.__class__.__name__, exc)
        response = Response(error_body(outage.code, outage.message), status=outage.status,
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        response.outage = outage.dependency
        return response
    if isinstance(exc, PlatformError):
        response = Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
        if exc.status == status.HTTP_503_SERVICE_UNAVAILABLE:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "Some fields are invalid." if fields else " ".join(exc.messages)
        return Response(error_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: let Django log it and answer 500
    if response.status_code in (401, 403):
        _note_rate_limits(context)

    code = _CODES.get(type(exc), getattr(exc, "default_code", "error"))
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = _fields(detail)
        if isinstance(detail, dict) and set(detail) == {"non_field_errors"}:
            message = " ".join(fields.pop("non_field_errors"))
        elif fields:
            message = "Some fields are invalid."
        else:
            message = " ".join(_flatten(detail)) or "Invalid input."
        response.data = error_body(code, message, fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        message = " ".join(_flatten(detail))
        response.data = error_body(code, message)
    return response


def _note_rate_limits(context) -> None:
    """A 401 or 403 was refused before DRF's throttles ran: give it the RateLimit headers of the
    current windows (ratelimit_headers.py) without counting it."""
    view, request = context.get("view"), context.get("request")
    if view is None or request is None:
        return
    django_request = getattr(request, "_request", request)
    if getattr(django_request, "rate_limits", None):
        return  # the throttles ran (a permission refused after them): their counts stand
    states = [state for throttle in view.get_throttles()
              if hasattr(throttle, "peek") and (state := throttle.peek(request)) is not None]
    if states:
        django_request.rate_limits = states
