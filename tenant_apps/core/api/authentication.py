from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, answering 401 (not 403) to anonymous callers so that
    integrators can tell "who are you?" from "you may not"."""

    def authenticate_header(self, request) -> str:
        return 'Session realm="api"'


class PlatformSessionScheme(SessionScheme):
    target_class = "tenant_apps.core.api.authentication.SessionAuthentication"
