"""The Dockerfile's collectstatic step, run as the image build runs it (no Docker engine here)."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def dockerfile_collectstatic_arguments() -> list[str]:
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    command = re.search(r"python manage.py (collectstatic[^\n]*)", dockerfile).group(1)
    return shlex.split(command)


def test_the_image_collects_static_files_without_source_maps(tmp_path):
    environment = {**os.environ, "DEBUG": "0", "SECRET_KEY": "build-time-only-not-a-secret", "STATIC_ROOT": str(tmp_path)}
    environment.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", *dockerfile_collectstatic_arguments()],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert not [path for path in files if path.suffix == ".map"]
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for needed in (
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
        "admin/css/base.css",
    ):
        assert (tmp_path / manifest[needed]).is_file(), needed
    assert sum(path.stat().st_size for path in files) < 12 * 1024 * 1024


SERVE_SCRIPT = """
import os, re, django
django.setup()
from django.test import Client
client = Client()
page = client.get("/api/docs/", secure=True)
assert page.status_code == 200, page.status_code
bundle = re.search(r'src="(/static/[^"]*swagger-ui-bundle\\.[0-9a-f]{12}\\.js)"', page.content.decode()).group(1)
served = client.get(bundle, secure=True)
assert served.status_code == 200, (bundle, served.status_code)
assert "immutable" in served["Cache-Control"], served["Cache-Control"]
print("served", bundle)
"""


def test_production_serves_the_hashed_swagger_bundle_it_links(tmp_path):
    environment = {
        **os.environ, "DEBUG": "0", "SECRET_KEY": "build-time-only-not-a-secret", "STATIC_ROOT": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    environment.pop("DATABASE_URL", None)
    collect = subprocess.run(
        [sys.executable, "manage.py", *dockerfile_collectstatic_arguments()],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300,
    )
    assert collect.returncode == 0, collect.stderr
    served = subprocess.run(
        [sys.executable, "-c", SERVE_SCRIPT], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert served.returncode == 0, served.stderr[-2000:]
    assert "served /static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle." in served.stdout


UNCOLLECTED_SCRIPT = """
import re, django
django.setup()
from django.conf import settings
from django.test import Client
assert settings.STORAGES["staticfiles"]["BACKEND"] == "core.staticfiles.StaticFilesStorage"
client = Client()
for path in ("/admin/", "/api/docs/"):
    page = client.get(path, secure=True, follow=True)
    assert page.status_code == 200, (path, page.status_code)
bundle = re.search(r'src="(/static/[^"]*swagger-ui-bundle[^"]*\\.js)"', page.content.decode()).group(1)
served = client.get(bundle, secure=True)
assert served.status_code == 200, (bundle, served.status_code)
print("ok", bundle)
"""


def test_production_pages_answer_without_collected_static_files(tmp_path):
    """Issue 12, item 7: DEBUG=0, the production storage, and no collectstatic ever run."""
    environment = {
        **os.environ, "DEBUG": "0", "SECRET_KEY": "test-only-not-a-secret-0123456789-0123456789-0123456789",
        "STATIC_ROOT": str(tmp_path / "static"), "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    environment.pop("DATABASE_URL", None)
    served = subprocess.run(
        [sys.executable, "-c", UNCOLLECTED_SCRIPT], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert served.returncode == 0, served.stderr[-2000:]
    assert not any((tmp_path / "static").iterdir())
