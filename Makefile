# Two commands for a newcomer: `make run` and `make test`. Everything they need
# (virtualenv, dependencies, migrations, demo data) is set up from here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# make test-postgres: the loopback server of the development machines and CI.
# pytest-django creates the scratch database test_<name> and drops it afterwards.
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# ... and the channels Redis layer there: the live-queue tests marked `redis` run against it.
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0
PYTEST_ARGS ?=

.PHONY: help install browser migrate demo reset-demo run test test-postgres test-api-fuzz bench screenshots check-deps clean

help:
	@echo "make run            set up everything and serve on http://$(HOST):$(PORT)/"
	@echo "make test           set up and run the whole test suite (SQLite)"
	@echo "make reset-demo     delete the local database and uploads, then load the demo data again"
	@echo "make test-postgres  the same suite against PostgreSQL (PG_URL=$(PG_URL))"
	@echo "make test-api-fuzz  schemathesis against the API's OpenAPI schema (a few minutes)"
	@echo "make bench          benchmarks in bench/"
	@echo "make screenshots    the browser tests, saving the README's screenshots to docs/screenshots/"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(MAKE) --no-print-directory check-deps
	touch $@

install: $(VENV)/.installed

# django-fsm-2 and the unmaintained django-fsm install the same package; refuse the old one.
check-deps:
	@if $(PY) -m pip show django-fsm >/dev/null 2>&1; then \
		echo "error: the unmaintained django-fsm is installed; run: $(PY) -m pip uninstall -y django-fsm && $(PY) -m pip install --force-reinstall django-fsm-2"; exit 1; fi
	@$(PY) -m pip show django-fsm-2 >/dev/null 2>&1 || { echo "error: django-fsm-2 is missing"; exit 1; }

# The browser tests drive Debian's chromium (never a downloaded browser build),
# with a Chinese font so that the pages (and the screenshots) show their text:
# install the distribution packages when they are missing.
BROWSER_PACKAGES := chromium fonts-wqy-microhei
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
		SUDO=; if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi; \
		echo "installing Debian's packages for the browser tests: $(BROWSER_PACKAGES)"; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BROWSER_PACKAGES); }

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

# Start again from the demo data: the local SQLite database and uploaded images go.
reset-demo: install
	rm -f var/db.sqlite3 var/db.sqlite3-wal var/db.sqlite3-shm
	rm -rf var/media
	$(MAKE) --no-print-directory demo

# The web server, one task worker (db_worker) and the periodic scheduler (run_periodic), in the
# background beside it: bin/run-dev starts the three and stops them all on Ctrl-C.
run: demo
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/); Ctrl-C stops the server, worker and scheduler"
	$(PY) bin/run-dev --host $(HOST) --port $(PORT)

test: install browser
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install browser
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} REDIS_URL=$${REDIS_URL:-$(REDIS_TEST_URL)} $(PY) -m pytest $(PYTEST_ARGS)

# Schemathesis against the served OpenAPI schema, in-process on a scratch database
# (API_FUZZ_EXAMPLES per operation, API_FUZZ_SEED=random for a new exploration).
test-api-fuzz: install
	$(PY) -m pytest tests/api/fuzz_schemathesis.py -p no:cacheprovider $(PYTEST_ARGS)

# The browser tests again, saving the README's screenshots into docs/screenshots/.
screenshots: install browser
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/browser $(PYTEST_ARGS)

bench: migrate
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var/*.sqlite3 .pytest_cache
