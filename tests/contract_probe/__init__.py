"""A stand-in tenant app used by tests/core/test_contract.py: it exists only as a contract, to
show that registering an app is all the platform needs to wire it in."""

from django.http import JsonResponse
from django.urls import path

from tenant_apps.core.contract import NavEntry, PeriodicJob, TenantAppContract

SEEDED: list[str] = []


def seed() -> None:
    from django.db import connection

    SEEDED.append(connection.schema_name)


def probe(request):
    return JsonResponse({"probe": request.tenant.slug})


urlpatterns = [path("things", probe, name="things"), path("", probe, name="home")]

CONTRACT = TenantAppContract(
    prefix="probe",
    api_urls="tests.contract_probe",
    web_urls="tests.contract_probe",
    nav=(NavEntry("Probe", "probe:home", description="a registered app"),),
    demo_seeder="tests.contract_probe.seed",
    periodic_jobs=(PeriodicJob("probe-nightly", "probe.nightly", {"minute": 5, "hour": 1}),),
    usage_counters={"members": "accounts.User"},
)
