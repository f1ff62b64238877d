"""There is no Docker engine here, so the compose file and Dockerfile are checked by reading."""

import gc
import runpy
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SERVICES = {"postgres", "redis", "web", "ws", "nginx", "worker-high", "worker-default", "beat", "flower"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_of(service: dict) -> str:
    return " ".join(service.get("command", []))


def test_every_service_exists_and_has_a_health_check(compose):
    assert set(compose["services"]) == SERVICES
    for name, service in compose["services"].items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_services_wait_for_healthy_dependencies(compose):
    services = compose["services"]
    for name in SERVICES - {"postgres", "redis"}:
        depends_on = services[name]["depends_on"]
        assert depends_on, name
        assert all(rule["condition"] == "service_healthy" for rule in depends_on.values()), name
    for name in ("web", "ws", "worker-high", "worker-default", "beat", "flower"):
        assert {"postgres", "redis"} <= set(services[name]["depends_on"]), name
    assert {"web", "ws"} <= set(services["nginx"]["depends_on"])


def test_each_process_runs_what_it_should(compose):
    services = compose["services"]
    assert command_of(services["web"]).startswith("gunicorn config.wsgi:application")
    assert command_of(services["ws"]).startswith("daphne") and "config.asgi:application" in command_of(services["ws"])
    assert "-Q high_priority" in command_of(services["worker-high"])
    assert "-Q default,low_priority,scheduled" in command_of(services["worker-default"])
    assert "beat" in command_of(services["beat"]) and "DatabaseScheduler" in command_of(services["beat"])
    assert "flower" in command_of(services["flower"])
    assert "FLOWER_BASIC_AUTH" in services["flower"]["environment"]
    assert services["web"]["environment"]["RUN_MIGRATIONS"] == "1"
    assert all(services[name]["environment"]["DEBUG"] == "0" for name in ("web", "ws", "worker-high", "beat"))


def test_every_celery_queue_has_a_worker(compose):
    consumed = set()
    for name in ("worker-high", "worker-default"):
        words = compose["services"][name]["command"]
        consumed |= set(words[words.index("-Q") + 1].split(","))
    assert consumed == set(settings.CELERY_TASK_QUEUES_NAMES)


def test_nginx_routes_websockets_to_daphne_and_keeps_tokens_out_of_logs():
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    assert "location /ws/" in conf and "proxy_pass http://ledgerline_ws" in conf
    assert "proxy_set_header Upgrade $http_upgrade" in conf
    assert "server ws:8001" in conf and "server web:8000" in conf
    log_format = conf[conf.index("log_format") : conf.index("access_log")]
    assert "$request " not in log_format and "$args" not in log_format and "$request_uri" not in log_format


def test_dockerfile_is_multi_stage_slim_and_non_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM python:3.11-slim") == 2
    assert "COPY --from=builder /opt/venv /opt/venv" in dockerfile
    final_stage = dockerfile[dockerfile.rindex("FROM ") :]
    assert "USER ledgerline" in final_stage
    assert "build-essential" not in final_stage and "gcc" not in final_stage
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in final_stage


def test_entrypoint_waits_for_services_and_migrates_only_when_asked():
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text()
    assert "wait_for_services" in entrypoint
    assert 'if [ "${RUN_MIGRATIONS:-0}" = "1" ]' in entrypoint
    assert entrypoint.rstrip().endswith('exec "$@"')


def test_gunicorn_workers_freeze_what_they_loaded_and_collect_young_objects_less_often(monkeypatch):
    monkeypatch.delenv("GUNICORN_GC_THRESHOLD", raising=False)
    monkeypatch.setenv("FAST_PATHS", "1")
    monkeypatch.setenv("GUNICORN_THREADS", "3")
    conf = runpy.run_path(str(ROOT / "docker" / "gunicorn.conf.py"))
    assert conf["worker_class"] == "gthread" and conf["worker_connections"] == 12
    before = gc.get_threshold()
    try:
        conf["post_worker_init"](None)
        assert gc.get_threshold() == (50_000, 20, 20)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_gunicorn_keeps_pythons_collector_settings_with_fast_paths_off(monkeypatch):
    monkeypatch.delenv("GUNICORN_GC_THRESHOLD", raising=False)
    monkeypatch.setenv("FAST_PATHS", "0")
    conf = runpy.run_path(str(ROOT / "docker" / "gunicorn.conf.py"))
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    conf["post_worker_init"](None)
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, frozen)
