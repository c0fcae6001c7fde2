"""The Django project. Named ``saas_platform`` because a top-level ``platform`` package would
hide Python's standard ``platform`` module (which ``uuid``, Django, Celery and redis-py import)."""

from saas_platform.celery import app as celery_app

__all__ = ["celery_app"]
