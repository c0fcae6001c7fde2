"""gunicorn settings for the web process: ``gunicorn saas_platform.wsgi:application --config
deploy/gunicorn.conf.py``. Every value can be overridden from the environment (.env.example)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# gthread workers: a worker serves GUNICORN_THREADS requests at once, so one slow client
# (headers or body trickling in a byte at a time) holds one thread, not a whole worker as with
# sync workers, where six such clients made /healthz time out for everyone. The shipped Compose
# file also puts nginx in front, which buffers whole requests (deploy/README.md); without a
# buffering proxy, it takes as many slow clients as one worker has threads to block that
# worker (the master still hands it connections). Each thread keeps its own persistent
# PostgreSQL connection (CONN_MAX_AGE), hence fewer processes than with sync workers:
# workers x threads x web replicas is the web tier's share of max_connections.
# os.cpu_count() sees the host's CPUs, not the container's quota, hence WEB_CONCURRENCY.
# GUNICORN_THREADS=1 gives sync workers (2 x CPUs + 1 of them).
# The worker is gthread's with one change (saas_platform/web_worker.py): a process works on at
# most GUNICORN_MAX_INFLIGHT requests (default 2) before it leaves new connections to the other
# processes, where stock gthread kept whatever connections it grabbed first, and one process of
# three served 9 of 16 sessions at a third of the speed (p95 1.5x lower in bench/pages.py).
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "saas_platform.web_worker.BalancedThreadWorker" if threads > 1 else "sync"
_cpus = os.cpu_count() or 1
workers = int(os.environ.get("WEB_CONCURRENCY", _cpus + 1 if threads > 1 else 2 * _cpus + 1))

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

# Prometheus metrics (/metrics, tenants/metrics.py) from every worker process, not just the one
# that answers the scrape: each worker writes its counters to files in this directory, set
# before the workers start (they import prometheus-client after the fork), fresh per start.
_own_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    _own_metrics_dir = tempfile.mkdtemp(prefix="prometheus-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir


def child_exit(_server, worker) -> None:
    """A worker that exits (recycled by max_requests, killed) leaves its gauges behind."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(_server) -> None:
    """The metrics directory made above goes with the server."""
    if _own_metrics_dir:
        import shutil

        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
