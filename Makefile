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
# make run-prod: ASGI worker processes, and DEMO=1 to load the demo data too.
WORKERS ?= 2
DEMO ?=
# The suite runs in parallel processes (pytest-xdist): one per core by default; each has
# its own test database, browser server and Redis database; a file's tests stay in one
# process. PYTEST_WORKERS=0 runs everything in this process.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist loadfile

.PHONY: help install devenv browser fonts migrate demo reset-demo run test test-postgres test-api-fuzz bench screenshots check-deps clean \
	services services-stop run-prod bench-load

help:
	@echo "make run            set up everything and serve on http://$(HOST):$(PORT)/"
	@echo "make test           set up and run the whole test suite (SQLite)"
	@echo "make reset-demo     delete the local database and uploads, then load the demo data again"
	@echo "make test-postgres  the same suite against PostgreSQL (PG_URL=$(PG_URL))"
	@echo "make test-api-fuzz  schemathesis against the API's OpenAPI schema (a few minutes)"
	@echo "make bench          benchmarks in bench/"
	@echo "make bench-load     reviewers working the queue against run-prod with 1 and 2 workers; websocket fan-out"
	@echo "make screenshots    the browser tests, saving the README's screenshots to docs/screenshots/"
	@echo "make services       private PostgreSQL and Redis under var/ (connection settings: var/services.env)"
	@echo "make services-stop  stop them"
	@echo "make run-prod       production mode on http://$(HOST):$(PORT)/: $(WORKERS) ASGI workers, task workers, scheduler"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(MAKE) --no-print-directory check-deps
	touch $@

install: $(VENV)/.installed

# Development settings of this checkout: the settings read var/dev.env (only for
# variables the environment does not set), so that manage.py and the tests run
# in development mode with nothing set by hand. Production has no such file;
# make run-prod sets DJANGO_DEBUG=0 itself.
var/dev.env:
	@mkdir -p var
	@printf '%s\n' \
		'# Written by make for development in this checkout (project/settings.py reads it' \
		'# for variables the environment does not set). A production installation has no such file.' \
		'DJANGO_DEBUG=1' \
		'LOG_FORMAT=text' >$@
	@echo "wrote $@ (development settings: DJANGO_DEBUG=1, LOG_FORMAT=text)"

devenv: install var/dev.env

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

# The Chinese font the review record's PDF is drawn in (project/shared/record_pdf.py): Debian's
# fonts-wqy-microhei, the same package the browser tests need; nothing to do when it is there.
FONT_PACKAGES := fonts-wqy-microhei
fonts:
	@test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { \
		SUDO=; if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi; \
		echo "installing Debian's font for the review record PDF: $(FONT_PACKAGES)"; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(FONT_PACKAGES); }

migrate: devenv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

# Start again from the demo data: the local SQLite database and the uploads (images, evidence files) go.
reset-demo: devenv
	rm -f var/db.sqlite3 var/db.sqlite3-wal var/db.sqlite3-shm
	rm -rf var/media
	$(MAKE) --no-print-directory demo

# The web server, one task worker (db_worker) and the periodic scheduler (run_periodic), in the
# background beside it: bin/run-dev starts the three and stops them all on Ctrl-C.
run: demo fonts
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/); Ctrl-C stops the server, worker and scheduler"
	$(PY) bin/run-dev --host $(HOST) --port $(PORT)

test: devenv browser fonts
	$(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-postgres: devenv browser
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} REDIS_URL=$${REDIS_URL:-$(REDIS_TEST_URL)} $(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# Schemathesis against the served OpenAPI schema, in-process on a scratch database
# (API_FUZZ_EXAMPLES per operation, API_FUZZ_SEED=random for a new exploration).
test-api-fuzz: devenv
	$(PY) -m pytest tests/api/fuzz_schemathesis.py -p no:cacheprovider $(PYTEST_ARGS)

# The browser tests again, saving the README's screenshots into docs/screenshots/.
screenshots: devenv browser
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/browser $(PYTEST_ARGS)

bench: migrate
	$(PY) bench/run.py

# The load benchmark (bench/load_work.py) against bin/run-prod on the private services:
# decisions per second with 1 and 2 ASGI workers, their ratio, and the websocket fan-out;
# then audited against unaudited writes from 1, 4 and 16 writers (bench/load_audit_writers.py).
BENCH_LOAD_ARGS ?=
bench-load: install
	@if [ -z "$$DATABASE_URL" ]; then bin/services start; fi
	$(PY) bench/load_work.py $(BENCH_LOAD_ARGS)
	$(PY) bench/load_audit_writers.py

# Private PostgreSQL and Redis for production mode on this machine (bin/services):
# Debian's packages when missing, data under var/, loopback only, own ports.
services:
	bin/services start

services-stop:
	bin/services stop

# Production mode on one machine: DJANGO_DEBUG=0, PostgreSQL and Redis from
# make services (unless DATABASE_URL is set), migrate, collectstatic, then
# WORKERS ASGI workers, the task workers and the scheduler until Ctrl-C.
run-prod: install
	@if [ -z "$$DATABASE_URL" ]; then bin/services start; fi
	$(PY) bin/run-prod --host $(HOST) --port $(PORT) --workers $(WORKERS) $(if $(filter-out 0,$(DEMO)),--demo)

clean:
	rm -rf $(VENV) var/*.sqlite3 .pytest_cache
