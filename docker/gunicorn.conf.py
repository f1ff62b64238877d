"""gunicorn for the HTTP API (daphne serves only /ws/ in production)."""

import gc
import multiprocessing
import os

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# One process per core, two threads each to overlap a request's database and Redis waits. The
# API is CPU-bound Python: more processes or threads only queue more requests for the same
# cores and fight over each process's GIL, which spreads latency. Ledger list, 16 clients, 2
# cores: 5 x 4 p95 ~160-230 ms; 2 x 4 ~390 req/s (240-450 over eight runs on a noisy host);
# 2 x 2 ~410 req/s (390-590), the steadiest; sync workers 340-385 req/s.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# A few connections per thread. A worker accepts connections while it has room, and a keep-alive
# connection stays with the worker that accepted it: with gunicorn's default of 1,000, one worker
# took all 16 of a benchmark's clients (or 12 of them) and served them with one core's worth
# of Python while the other worker had little to do (p95 ~55-90 ms). Capped, each worker holds its share and the rest wait in the
# kernel's accept queue, where whichever worker frees up first takes them (behind nginx, whose
# upstream connections last one request, that is every request). Past the cap less the threads,
# a response closes its connection instead of keeping it alive.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", str(4 * threads)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Workers touch a heartbeat file on every request; on a container's overlay filesystem that
# write can stall a worker (gunicorn's own advice: keep it in memory). gunicorn makes its file
# there with mkstemp, so a shared directory is safe.
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
graceful_timeout = 30
keepalive = 5
# A restart costs a Django start-up (~1 s of CPU) and slow first requests: at a few hundred
# requests a second, 5,000 meant a restart every ~25 s per worker.
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
# instead of 700, so a large request runs about one young collection instead of ~140 with a
# full one among them. GUNICORN_GC_THRESHOLD=0 (or FAST_PATHS=0) keeps Python's defaults.
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
