# syntax=docker/dockerfile:1
# Ledgerline: one image for web (gunicorn), ws (daphne), workers, beat and flower.

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
# Every pinned package ships a manylinux wheel: no compiler needed, none shipped.
# Then drop what only installing needs (pip itself, tests, translation sources): ~40 MB.
RUN pip install --no-compile --only-binary=:all: -r /tmp/requirements.txt \
 && find /opt/venv -depth -type d \( -name tests -o -name __pycache__ \) -prune -exec rm -rf {} + \
 && find /opt/venv -name '*.po' -delete \
 && pip uninstall -y -q pip setuptools

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
# Static files are collected at build time with a throwaway key; the real one comes from env.
RUN DEBUG=0 SECRET_KEY=build-time-only-not-a-secret python manage.py collectstatic --noinput -v0 \
 && mkdir -p /app/var/media \
 && chown -R ledgerline:ledgerline /app/var
USER ledgerline
EXPOSE 8000 8001
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "config.wsgi:application", "-c", "docker/gunicorn.conf.py"]
