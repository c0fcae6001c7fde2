"""Provisioning as a Celery job, reporting its step as task progress (state PROGRESS with
``{"step", "index", "total"}`` in its meta, readable through AsyncResult)."""

from celery import shared_task

from tenants.models import Tenant, TenantState
from tenants.provisioning import tenant_provision


@shared_task(bind=True, name="tenants.provision", acks_late=True, max_retries=0)
def provision_tenant(self, *, slug: str, name: str, owner_email: str,
                     owner_password: str | None = None, domains: list[str] | None = None,
                     resume: bool = False) -> dict:
    def progress(step: str, index: int, total: int) -> None:
        if self.request.id:
            self.update_state(state="PROGRESS",
                              meta={"step": step, "index": index, "total": total})

    # A redelivered job (worker killed mid-run; tasks are acks_late) carries on where it stopped.
    resume = resume or Tenant.objects.filter(slug=slug, state=TenantState.PROVISIONING).exists()
    ctx = tenant_provision(slug=slug, name=name, owner_email=owner_email,
                           owner_password=owner_password, domains=domains, resume=resume,
                           progress=progress)
    # The password is not put in the result backend; an operator who let it be generated
    # resets it from the console.
    return {"slug": ctx.tenant.slug, "state": ctx.tenant.state,
            "password_generated": ctx.password_generated}
