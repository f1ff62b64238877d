"""gunicorn for the HTTP API (daphne serves only /ws/ in production)."""

import gc
import multiprocessing
import os

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# One process per core, two threads each to overlap a request's database and Redis waits. The
# API is CPU-bound Python: more processes or threads only queue more requests for the same
# cores and fight over each process's GIL (measurements: docs/performance.md).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# A few connections per thread. A keep-alive connection stays with the worker that accepted
# it; with gunicorn's default of 1,000 one worker could take every client while the other
# idled. Capped, each worker holds its share and the rest wait in the kernel's accept queue for
# whichever worker frees up first. Past the cap less the threads, a response closes its
# connection instead of keeping it alive.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", str(4 * threads)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Workers touch a heartbeat file on every request; on a container's overlay filesystem that
# write can stall a worker (gunicorn's own advice: keep it in memory). gunicorn makes its file
# there with mkstemp, so a shared directory is safe.
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
graceful_timeout = 30
keepalive = 5
# A restart costs a Django start-up and slow first requests: restart rarely.
max_requests = 100_000
max_requests_jitter = 10_000
# nginx in front, on the private network.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# %(U)s is the path without its query string: tokens never reach the access log.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s" %({x-request-id}o)s'


# The garbage collector (decision 0008): the app's objects, loaded once, are frozen out of
# every collection and the youngest generation is collected every GC_THRESHOLD allocations
# instead of 700, so a large request runs few young collections and no full one.
# GUNICORN_GC_THRESHOLD=0 (or FAST_PATHS=0) keeps Python's defaults.
_FAST_PATHS = os.environ.get("FAST_PATHS", "1").lower() not in ("0", "false", "no", "off")
GC_THRESHOLD = int(os.environ.get("GUNICORN_GC_THRESHOLD", "50000" if _FAST_PATHS else "0"))


def post_worker_init(worker):
    if GC_THRESHOLD <= 0:
        return
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
