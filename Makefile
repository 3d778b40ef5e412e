# Two commands: `make run` (portal + Celery worker + beat on the embedded default) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DEBUG ?= 1

.PHONY: run test test-e2e test-integration test-postgres lint messages venv var clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

var:
	mkdir -p var/broker var/broker-control var/media

run: venv var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo
	@echo "Campaign Portal: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server, worker and beat)"
	@echo "  end user: user@demo.local       owner: owner@demo.local     reseller: reseller@demo.local"
	@echo "  password for all three: demo-pass-2026"
	@echo
	PORT=$(PORT) $(VENV)/bin/honcho -f Procfile.dev start

# The default run needs no server; the browser tests join it when Debian's Chromium is installed.
TEST_MARKERS := not integration$(if $(wildcard /usr/bin/chromium),, and not e2e)

test: venv
	$(PY) -m pytest -n auto -m "$(TEST_MARKERS)" --ignore=tests/integration $(PYTEST_ARGS)

test-e2e: venv
	scripts/ensure-chromium
	$(PY) -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

# A real Celery worker, Redis and PostgreSQL: DATABASE_URL and REDIS_URL choose them.
test-integration: venv
	$(PY) -m pytest -m integration -p no:xdist --ds=config.settings_integration tests/integration $(PYTEST_ARGS)

# The suites of the apps with PostgreSQL-only code paths (COPY, set-based updates), on PostgreSQL.
PG_SUITES := tests/contacts tests/messaging tests/campaigns tests/api tests/billing

test-postgres: venv
	TEST_DATABASE_URL=$(DATABASE_URL) $(PY) -m pytest -n auto -m "not integration and not e2e" $(PG_SUITES) $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

messages: venv
	$(PY) manage.py makemessages -l es -l ru -l tr --ignore=.venv --ignore=static --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf var
