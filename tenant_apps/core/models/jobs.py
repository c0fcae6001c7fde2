"""A background job of a tenant (import, export, report) with the progress the UI and API show.
Inputs and outputs (CSV text) are kept on the row, in the tenant's schema, so a tenant's jobs
move and disappear with its schema.

The row is also the job's outbox: a job in state ``queued`` without ``sent_at`` has not reached
the broker yet (it was down), and the sweeper (``jobs_sweep``) sends it when the broker is back.
A running job's worker touches ``heartbeat_at``; a job whose heartbeat stopped lost its worker,
and the sweeper queues it again, or fails it once ``attempts`` reaches the limit."""

from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Job(models.Model):
    kind = models.CharField(max_length=50, db_index=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices,
                              default=JobStatus.QUEUED, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=255, blank=True, default="")
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    input_text = models.TextField(blank=True, default="")
    output_text = models.TextField(blank=True, default="")
    output_name = models.CharField(max_length=255, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="jobs")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # The Celery task that runs the job (sent with ``job_id``), so that the sweeper can send it
    # again; when the message last reached the broker; the running worker's last sign of life;
    # how many runs were started (the claim increments it; a run finishes the job only while
    # its number is still the current one).
    task_name = models.CharField(max_length=200, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))
