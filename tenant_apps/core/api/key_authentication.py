from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tenant_apps.core.models import ApiKey
from tenant_apps.core.services.api_keys import api_key_authenticate

KEYWORD = "Api-Key"


def request_api_key(request) -> ApiKey | None:
    """The API key a request was authenticated with, or None (a session, or anonymous). The one
    answer to "is this an API-key request?" for views, throttles and idempotency."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiKey) else None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <key>``. The key is looked up in the current tenant's schema only,
    so a key of tenant A sent to tenant B's host finds nothing and gets 401."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, raw_key = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            # Said plainly rather than "credentials were not provided": an integrator who
            # sends a Bearer token (or Basic) did provide some, in a scheme we do not take.
            shown = keyword[:20] if keyword.isprintable() else "this"
            raise exceptions.AuthenticationFailed(
                f"The {shown} authorization scheme is not accepted; send "
                f"`Authorization: {KEYWORD} <key>` (keys are created by a tenant admin).")
        raw_key = raw_key.strip()
        if not raw_key:
            raise exceptions.AuthenticationFailed("The Api-Key header holds no key.")
        api_key = api_key_authenticate(raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return api_key.created_by, api_key

    def authenticate_header(self, request) -> str:
        return KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tenant_apps.core.api.key_authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Api-Key <key>`; keys are created by a tenant admin."}
