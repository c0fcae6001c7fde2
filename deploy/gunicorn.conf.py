"""gunicorn settings for the web process: ``gunicorn saas_platform.wsgi:application --config
deploy/gunicorn.conf.py``. Every value can be overridden from the environment (.env.example)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Sync workers: Django's ORM is synchronous and each request holds its worker. Each worker keeps
# one persistent PostgreSQL connection (CONN_MAX_AGE), so workers x web replicas is the web
# tier's share of max_connections (deploy/README.md). os.cpu_count() sees the host's CPUs, not
# the container's quota, hence WEB_CONCURRENCY. GUNICORN_THREADS > 1 switches to gthread workers
# (one database connection per thread): for slow clients without a buffering proxy in front.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))

# A request slower than this is killed (its worker restarted): long work belongs in Celery.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM (a rolling deploy), requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))

# Recycle workers now and then, so that a slow leak (in any library) cannot grow without bound;
# the jitter keeps them from all restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# The heartbeat file lives in memory: on a container's overlay filesystem a slow write can get a
# healthy worker killed. (A per-process heartbeat file, not data: nothing to leak.)
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# Logs go to stdout/stderr, where the container runtime collects them.
# GUNICORN_ACCESS_LOG="" turns the access log off (when the proxy in front keeps one).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# gunicorn's control socket (for `gunicornc`) would go to $HOME/.gunicorn, and the image's home
# (/app) is read-only for its user: nothing here uses it.
control_socket_disable = True
