"""Session-level advisory locks that mark a long run (provisioning or archiving a tenant) as in
progress. PostgreSQL releases them when the session ends, so a process that was killed leaves no
lock behind: the sweeper (tenants.sweeper) takes a free lock as proof that no one is running."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection


def _key(name: str) -> str:
    return f"saas:run:{name}"


def run_lock_acquire(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [_key(name)])
        return bool(cursor.fetchone()[0])


def run_lock_release(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [_key(name)])


@contextmanager
def run_lock(name: str):
    """Yield True holding the lock ``name``, or False (not held) when another session has it."""
    held = run_lock_acquire(name)
    try:
        yield held
    finally:
        if held and connection.connection is not None:
            run_lock_release(name)


def run_in_progress(name: str) -> bool:
    """Whether another session holds ``name`` (checked by taking and releasing it)."""
    if not run_lock_acquire(name):
        return True
    run_lock_release(name)
    return False
