#!/bin/sh
# Every Ledgerline container: wait for PostgreSQL and Redis, migrate when asked (web only),
# then run the given command.
set -e

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

python manage.py wait_for_services --timeout "${WAIT_FOR_SERVICES_TIMEOUT:-90}"

if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
  python manage.py migrate --noinput
  python manage.py sync_schedules
fi

exec "$@"
