"""Fleet operations over every tenant schema at once: plan-once migrations (``migrate_all``)
and the pool of ready schemas (``pool``).

The modules, each importing only those above it:

``status``   one query: which schemas lack which of the code's migrations (the no-op answer).
``catalog``  one query: a structural hash of each schema's catalog (drift detection).
``plan``     migrate the template with Django and capture the SQL it ran, as a replayable plan.
``models``   the run's per-tenant progress in ``public`` (resume, retries, the report).
``runner``   apply the plan to every tenant in parallel; fall back to Django where unsafe.
``progress`` the terminal progress line (rate, ETA).
``pool``     ready schemas that a sign-up claims by renaming (instant provisioning).
"""
