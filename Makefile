# pbxadmin: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: run test test-asterisk test-all test-db lint fmt bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Bootstrap and any other front-end library: from npm, served locally (no CDN).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(VENV)/.installed node_modules/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_admin
	$(PY) manage.py writeconf
	@# Beside the web server, and stopping with it: the Celery worker that runs the Asterisk
	@# sync and the imports (with the periodic checks, --beat; its broker is a folder under var/
	@# unless CELERY_BROKER_URL names one), the hot-desk FastAGI service (*11 / *12) and the AMI
	@# event listener (phone status).
	$(PY) -m celery -A pbxadmin worker --beat --pool threads --concurrency 4 --loglevel INFO -n pbxadmin@%h & worker=$$!; \
	$(PY) manage.py fastagi & agi=$$!; \
	$(PY) manage.py ami_events & events=$$!; \
	trap 'kill $$worker $$agi $$events 2>/dev/null' EXIT INT TERM; \
	PBXADMIN_DEBUG=1 $(PY) manage.py runserver $(HOST)

# Before every commit: ruff, the layers' import contracts (.importlinter) and every test but
# the slow kinds, on both cores. Bytecode is cached even where the shell says not to
# (PYTHONDONTWRITEBYTECODE): each worker would otherwise compile every module, and pytest
# rewrite every test module's asserts, again on every run (seconds each).
test: export PYTHONDONTWRITEBYTECODE :=
test: $(VENV)/.installed node_modules/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-quick} $(PY) -m pytest -n 2 -p no:schemathesis -p no:anyio \
		-m "not browser and not worker and not schema and not asterisk and not slow"

# The tests against a real Asterisk 20 and real SIP phones (baresip), one at a time.
# Install them first: bash ../shared/asterisk/install.sh
test-asterisk: $(VENV)/.installed node_modules/.installed
	$(PY) -m pytest -m asterisk

# Everything, one test at a time: also the slow tests, the browser (chromium), the real celery
# worker on Redis, the API's schema property tests and the real Asterisk. What CI runs.
test-all: $(VENV)/.installed node_modules/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	@# What shares nothing runs on both cores; what starts real workers, Asterisks, phones or a
	@# browser runs one test at a time.
	$(PY) -m pytest -n 2 -m "not asterisk and not worker and not browser"
	@# CI starts the PostgreSQL run (test-db) here, beside the part that mostly waits on
	@# Asterisks, phones and a browser (.ci/run): the file says the cores are free.
	@if [ -n "$$PBXADMIN_CORES_FREE" ]; then touch "$$PBXADMIN_CORES_FREE"; fi
	$(PY) -m pytest -m "asterisk or worker or browser"

# CI's second database (DATABASE_URL): what the database decides, the real workers included.
# Asterisk, the phones and the browser see nothing of it: test-all runs them once.
test-db: $(VENV)/.installed node_modules/.installed
	$(PY) -m pytest -n 2 -m "not asterisk and not worker and not browser"
	$(PY) -m pytest -m "worker and not asterisk"

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

fmt: $(VENV)/.installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(VENV)/.installed node_modules/.installed
	$(PY) bench/app_graph.py
	$(PY) bench/confgen.py
	$(PY) bench/astdb_sync.py
	$(PY) bench/pages.py
	$(PY) bench/bulk_import.py
	$(PY) bench/phone_status.py
	$(PY) bench/audit.py
	$(PY) bench/api.py

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .ruff_cache .hypothesis test-artifacts
