# Ledgerline: `make run` serves the embedded default; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Test and benchmark targets: the machine's PostgreSQL and Redis (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ledgerline
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ledgerline_bench
PYTEST_ARGS ?=

.PHONY: install run serve serve-ws worker beat flower lint test test-postgres test-sqlite check-services bench migrate seed clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# Embedded default: SQLite in var/, in-memory channel layer, tasks in-process; daphne serves all.
run: seed
	@echo "Ledgerline on http://127.0.0.1:$(PORT)/  (API docs: /api/docs/)"
	$(BIN)/daphne -b 127.0.0.1 -p $(PORT) config.asgi:application

# Production-shaped processes (set DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG=0 first).
serve: install static
	$(BIN)/gunicorn config.wsgi:application -c docker/gunicorn.conf.py --bind 127.0.0.1:$(PORT)

serve-ws: install static
	$(BIN)/daphne -b 127.0.0.1 -p $(PORT) config.asgi:application

worker: install
	$(BIN)/celery -A config worker -l info -Q high_priority,default,low_priority,scheduled

beat: install
	$(BIN)/celery -A config beat -l info

flower: install
	$(BIN)/celery -A config flower --port=5555

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

# pytest creates its own test database, so probe the server through its maintenance database.
check-services: install
	@DATABASE_URL=$(dir $(TEST_DATABASE_URL))postgres REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python manage.py wait_for_services --timeout 10 \
	  || { echo "make test needs PostgreSQL at $(TEST_DATABASE_URL) and Redis at $(TEST_REDIS_URL) (see README: Running the checks)."; exit 1; }

test-postgres: check-services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PYTEST_ARGS)

test-sqlite: install
	DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 REDIS_URL= CELERY_BROKER_URL= $(BIN)/pytest $(PYTEST_ARGS)

test: lint test-postgres test-plain test-sqlite

# The HTTP benchmarks drive gunicorn with wrk (Debian package); installed here when missing.
bench: install
	@command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; } \
	  || echo "wrk could not be installed: HTTP benchmarks fall back to a Python client"
	@for script in bench/bench_*.py; do \
	  echo "== $$script"; DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python $$script || exit 1; \
	done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

# issue 19: PDF reports embed DejaVu Sans (Debian fonts-dejavu-core, needed at run time) and the
# report tests rasterise a PDF with poppler's pdftoppm (poppler-utils). Installed when missing.
.PHONY: reports-system-packages
install: reports-system-packages
reports-system-packages:
	@{ test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf && command -v pdftoppm >/dev/null; } \
	  || apt-get install -y -q fonts-dejavu-core poppler-utils >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q fonts-dejavu-core poppler-utils >/dev/null 2>&1; } \
	  || echo "Install Debian's fonts-dejavu-core and poppler-utils: PDF reports and their tests need them."
# --- issue 12: static files and the plain path ---
.PHONY: static test-plain

# The production storage's hashed static files (as the image build collects them); `serve`
# and `serve-ws` run it. Idempotent: unchanged files are skipped.
static: install
	DEBUG=0 SECRET_KEY=$${SECRET_KEY:-collectstatic-only-not-a-secret} $(BIN)/python manage.py collectstatic \
	  --noinput -v0 --ignore '*.map' --ignore '*es-bundle*' --ignore 'swagger-ui.js'

# The PostgreSQL suite once more with every fast path off (FAST_PATHS=0: the plain Django/DRF
# path, docs/decisions/); end-to-end tests are left to test-postgres.
test-plain: check-services
	FAST_PATHS=0 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)
# issue 15: the categoriser against a labelled ledger, beside the smart_importer baseline.
.PHONY: eval-categoriser
eval-categoriser: install
	mkdir -p var && rm -f var/eval-categoriser.sqlite3
	DATABASE_URL=sqlite:///$(CURDIR)/var/eval-categoriser.sqlite3 REDIS_URL= CELERY_BROKER_URL= TASK_EXECUTION=inline \
	  $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=sqlite:///$(CURDIR)/var/eval-categoriser.sqlite3 REDIS_URL= CELERY_BROKER_URL= TASK_EXECUTION=inline \
	  $(BIN)/python manage.py eval_categoriser
