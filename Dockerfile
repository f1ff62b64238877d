# syntax=docker/dockerfile:1
# Ledgerline: one image for web (gunicorn), ws (daphne), workers, beat and flower.

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
# Every pinned package ships a manylinux wheel: no compiler needed, none shipped.
RUN pip install --no-compile --only-binary=:all: -r /tmp/requirements.txt
WORKDIR /app
COPY . /app
# Static files are collected here with a throwaway key (the real one comes from env), without
# source maps and Swagger UI's unused ES-module builds; the runtime stage copies only the result.
RUN DEBUG=0 SECRET_KEY=build-time-only-not-a-secret STATIC_ROOT=/app/var/static \
    python manage.py collectstatic --noinput -v0 --ignore '*.map' --ignore '*es-bundle*' --ignore 'swagger-ui.js'
# Then drop what only building needs (~60 MB): pip, tests, type stubs, the static sources just
# collected, and translation catalogues nothing can activate (no LocaleMiddleware; en-us only).
RUN pip uninstall -y -q pip setuptools \
 && find /opt/venv -type d \( -name tests -o -name __pycache__ \) -prune -exec rm -rf {} + \
 && find /opt/venv \( -name '*.po' -o -name '*.pyi' \) -delete \
 && find /opt/venv -type d -name locale -prune | while read -r catalogue; do \
      find "$catalogue" -mindepth 1 -maxdepth 1 -type d ! -name en -exec rm -rf {} +; done \
 && cd /opt/venv/lib/python3.11/site-packages \
 && rm -rf drf_spectacular_sidecar/static rest_framework/static django/contrib/admin/static django/contrib/gis/static

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings \
    VAR_DIR=/app/var
RUN groupadd --system --gid 10001 ledgerline \
 && useradd --system --uid 10001 --gid ledgerline --home-dir /app --shell /usr/sbin/nologin ledgerline
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY --chown=ledgerline:ledgerline . /app
COPY --from=builder --chown=ledgerline:ledgerline /app/var/static /app/var/static
RUN mkdir -p /app/var/media && chown ledgerline:ledgerline /app/var /app/var/media
# issue 19: PDF reports embed DejaVu Sans from Debian's fonts-dejavu-core (REPORTS_FONT_DIR).
RUN apt-get update -q && apt-get install -y -q --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
USER ledgerline
EXPOSE 8000 8001
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "config.wsgi:application", "-c", "docker/gunicorn.conf.py"]
