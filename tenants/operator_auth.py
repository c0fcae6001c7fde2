"""How the operator API (/api/operator/v1/, public host) authenticates: the operator's console
session, nothing else.

Stated outright rather than inherited from ``REST_FRAMEWORK``'s defaults, which are the tenant
API's: its API-key authentication looks keys up in the current schema, and ``public`` has no key
table, so any ``Authorization: Api-Key …`` header used to end in a 500. API keys belong to one
tenant and mean nothing here; a request that sends one (or any other ``Authorization`` scheme)
is answered 401 in the error format, saying so.
"""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tenant_apps.core.api.authentication import SessionAuthentication


class RefuseAuthorizationHeader(authentication.BaseAuthentication):
    """401 for any ``Authorization`` header: the operator API takes no tokens or keys."""

    def authenticate(self, request):
        if authentication.get_authorization_header(request):
            raise exceptions.AuthenticationFailed(
                "The operator API takes no API keys or tokens (tenant API keys belong to one "
                "tenant's host); sign in to the console and use its session.")
        return None

    def authenticate_header(self, request) -> str:
        return 'Session realm="operator-api"'


class OperatorSessionAuthentication(SessionAuthentication):
    def authenticate_header(self, request) -> str:
        return 'Session realm="operator-api"'


# The operator API views' ``authentication_classes`` (tenants/api.py).
OPERATOR_AUTHENTICATION = [RefuseAuthorizationHeader, OperatorSessionAuthentication]


class RefuseAuthorizationHeaderScheme(OpenApiAuthenticationExtension):
    """Nothing for the operator API's schema to offer: it is a refusal, not a way in."""

    target_class = "tenants.operator_auth.RefuseAuthorizationHeader"
    name: list[str] = []

    def get_security_requirement(self, auto_schema):
        return None

    def get_security_definition(self, auto_schema):
        return []


class OperatorSessionScheme(SessionScheme):
    target_class = "tenants.operator_auth.OperatorSessionAuthentication"
