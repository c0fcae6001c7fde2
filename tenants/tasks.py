"""The operators' long jobs (provision, archive, restore, move, rebalance) as Celery tasks,
reporting their step as task progress (state PROGRESS with ``{"step", "index", "total"}`` in its
meta, readable through AsyncResult and the operator API's /jobs/{id})."""

import logging

from celery import current_app, shared_task

from tenant_apps.core.actor import acting_as
from tenants.archive.services import (
    archives_reconcile,
    recorded_archive,
    tenant_archive,
    tenant_restore,
)
from tenants.cluster import cluster_rebalance, tenant_move
from tenants.domains import domains_check_all
from tenants.jobs import task_actor
from tenants.models import Tenant, TenantState
from tenants.provisioning import provisioning_resume_stuck, tenant_provision
from tenants.selectors import tenants_active

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="tenants.provision", acks_late=True, max_retries=0)
def provision_tenant(self, *, slug: str, name: str, owner_email: str,
                     owner_password: str | None = None, domains: list[str] | None = None,
                     resume: bool = False, actor: dict | None = None,
                     link_origin: str | None = None, plan: str | None = None) -> dict:
    def progress(step: str, index: int, total: int) -> None:
        if self.request.id:
            self.update_state(state="PROGRESS",
                              meta={"step": step, "index": index, "total": total})

    # A redelivered job (worker killed mid-run; tasks are acks_late) carries on where it stopped.
    resume = resume or Tenant.objects.filter(slug=slug, state=TenantState.PROVISIONING).exists()
    with acting_as(task_actor(actor)):
        ctx = tenant_provision(slug=slug, name=name, owner_email=owner_email,
                               owner_password=owner_password, domains=domains, resume=resume,
                               progress=progress, link_origin=link_origin, plan=plan)
    # The owner sets a password through the invitation link (never a password here), which
    # was also e-mailed to them.
    return {"slug": ctx.tenant.slug, "state": ctx.tenant.state,
            "owner_invitation_url": ctx.invitation_url,
            "owner_invitation_emailed": ctx.invitation_emailed}


def _reporter(task):
    def progress(step: str) -> None:
        if task.request.id:
            task.update_state(state="PROGRESS", meta={"step": step, "index": None, "total": None})

    return progress


# Not retried: a failed archive leaves the tenant suspended with its data, a failed restore
# leaves it archived; both say why, and the operator decides.
@shared_task(bind=True, name="tenants.archive", acks_late=True, max_retries=0)
def archive_tenant(self, *, slug: str, actor: dict | None = None) -> dict:
    with acting_as(task_actor(actor)):
        info = tenant_archive(slug=slug, progress=_reporter(self))
    return {"slug": slug, "state": TenantState.ARCHIVED.value, "archive": info.path.name,
            "sha256": info.sha256, "tables": info.tables, "rows": info.rows}


@shared_task(bind=True, name="tenants.restore", acks_late=True, max_retries=0)
def restore_tenant(self, *, slug: str, actor: dict | None = None) -> dict:
    with acting_as(task_actor(actor)):
        tenant = tenant_restore(archive=recorded_archive(slug=slug), progress=_reporter(self))
    return {"slug": tenant.slug, "state": tenant.state}


@shared_task(name="tenants.fan_out", acks_late=True)
def fan_out(task_name: str) -> int:
    """Send ``task_name`` once to every active tenant, to run in that tenant's schema. The beat
    schedules this for each periodic job a tenant app declares in its contract. A job declared
    ``marked_only`` goes only to the active tenants marked as having work for it (one Redis
    read, one query), except on its full pass (every tenant, at most once an hour, and at once
    when Redis cannot say)."""
    count = 0
    for schema_name in fan_out_targets(task_name):
        current_app.send_task(task_name, headers={"_schema_name": schema_name})
        count += 1
    return count


def fan_out_targets(task_name: str) -> list[str]:
    import redis

    from tenant_apps.core.contract import periodic_jobs
    from tenant_apps.core.services.work_marks import work_full_pass_due, work_marked

    active = tenants_active().values_list("schema_name", flat=True)
    if any(job.task == task_name and job.marked_only for job in periodic_jobs()):
        try:
            if not work_full_pass_due(task_name):
                active = active.filter(schema_name__in=work_marked(task_name))
        except redis.RedisError:
            logger.warning("Work marks unreadable: %s goes to every tenant", task_name)
    return list(active)


@shared_task(name="tenants.sweep", acks_late=True, ignore_result=True)
def sweep() -> dict:
    """Every minute, in public: resume tenants whose provisioning run died, and make the archive
    directory agree with the registry after an archive run died. (Each tenant's jobs have their
    own sweeper, core.sweep_jobs, fanned out from the core's contract.)"""
    report = archives_reconcile()
    return {"provisioning_resumed": provisioning_resume_stuck(),
            "archives_interrupted": report.interrupted, "archive_files_removed": report.removed,
            "archives_unknown": report.unknown}


@shared_task(name="tenants.pool_refill", acks_late=True, ignore_result=True)
def pool_refill() -> int:
    """Keep TENANT_POOL_SIZE ready schemas (tenants/fleet/pool.py): every minute from beat and after
    each claim. Idempotent; a second refill running at once returns at once."""
    from tenants.fleet.pool import pool_fill

    return pool_fill()


@shared_task(name="tenants.domains_verify", acks_late=True)
def domains_verify() -> dict:
    """Check every custom domain's TXT record (public beat entry ``domains-verify``)."""
    return domains_check_all()


@shared_task(bind=True, name="tenants.move", acks_late=True, max_retries=0)
def move_tenant(self, *, slug: str, node: str, block_writes: bool = False,
                actor: dict | None = None) -> dict:
    """One tenant to another Citus worker, online (tenants/cluster.py)."""
    def progress(step: str) -> None:
        if self.request.id:
            self.update_state(state="PROGRESS", meta={"step": step, "index": None,
                                                      "total": None})

    with acting_as(task_actor(actor)):
        move = tenant_move(slug=slug, node=node, block_writes=block_writes, progress=progress)
    return {"slug": move.slug, "source": move.source, "target": move.target,
            "size_bytes": move.size_bytes}


@shared_task(bind=True, name="tenants.rebalance", acks_late=True, max_retries=0)
def rebalance_cluster(self, *, actor: dict | None = None) -> dict:
    """Even out the Citus workers by size, one online move at a time (tenants/cluster.py)."""
    def progress(step: str, index: int, total: int) -> None:
        if self.request.id:
            self.update_state(state="PROGRESS", meta={"step": step, "index": index,
                                                      "total": total})

    with acting_as(task_actor(actor)):
        moves = cluster_rebalance(progress=progress)
    return {"moves": [{"slug": m.slug, "source": m.source, "target": m.target,
                       "size_bytes": m.size_bytes} for m in moves]}
@shared_task(name="tenants.find_workspaces", acks_late=True, ignore_result=True)
def find_workspaces(*, email: str, scheme: str, port: str) -> int:
    """E-mail ``email`` the sign-in addresses of its workspaces (none: no e-mail, so the form
    cannot be used to send mail to arbitrary addresses). Returns how many were found."""
    from tenants.workspaces_find import workspaces_email_send

    return workspaces_email_send(email=email, scheme=scheme, port=port)
@shared_task(name="tenants.usage_collect", acks_late=True, ignore_result=True)
def usage_collect_fan_out() -> int:
    """Beat's hourly usage run: one ``tenants.usage_collect_batch`` per batch of tenants, for
    today; in the first hour of a day, for yesterday too (its last hour of API requests)."""
    from datetime import timedelta

    from django.utils import timezone

    from tenants.plans.collect import usage_batches

    today = timezone.now().date()
    days = [today, today - timedelta(days=1)] if timezone.now().hour == 0 else [today]
    batches = usage_batches()
    for day in days:
        for ids in batches:
            usage_collect_batch.delay(tenant_ids=ids, day=day.isoformat())
    return len(batches) * len(days)


@shared_task(name="tenants.usage_collect_batch", acks_late=True, ignore_result=True)
def usage_collect_batch(*, tenant_ids: list[int], day: str) -> int:
    from datetime import date

    from tenants.plans.collect import usage_collect

    return usage_collect(tenants=Tenant.objects.filter(pk__in=tenant_ids),
                         day=date.fromisoformat(day))
