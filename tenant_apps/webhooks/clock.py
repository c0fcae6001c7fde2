"""The webhooks' notion of "now" for scheduling (retries, leases, rotation, purges): one seam,
so tests run the retry schedule on a fake clock instead of waiting 3 days."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
