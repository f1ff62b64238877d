"""gunicorn for the HTTP API (daphne serves only /ws/ in production)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
# nginx in front, on the private network.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# %(U)s is the path without its query string: tokens never reach the access log.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s" %({x-request-id}o)s'


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
