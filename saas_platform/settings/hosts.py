"""ALLOWED_HOSTS that also admits the tenants' custom domains.

Django validates the Host header against ALLOWED_HOSTS whenever something calls
``request.get_host()``. Custom domains live in the tenant registry, not in settings, so this list
yields the static patterns plus every host the router has resolved to a tenant. The router runs
first in the middleware stack, so by the time anything validates a host it is in the router's
cache if, and only if, the registry knows it.
"""

from collections.abc import Iterator


class TenantAwareAllowedHosts(list):
    def __iter__(self) -> Iterator[str]:
        yield from super().__iter__()
        from tenants.routing import host_router  # settings load before the app registry

        yield from host_router.known_tenant_hosts()

    def __bool__(self) -> bool:
        return True
