# The two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Links in mails, PDFs and pay links start with this; it follows HOST and PORT unless given.
BASE_URL ?= http://$(HOST):$(PORT)

# make run-prod: gunicorn's web worker processes (default: one per core, each serving 4 requests at once)
WORKERS ?=
# make test: pytest processes, each taking a whole test file at a time (auto: one per core)
TEST_WORKERS ?= auto

.PHONY: run run-prod test test-fast bench install doctor lint clean translations

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Backoffice needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## run: set up everything, migrate, seed demo data when empty, serve on http://$(HOST):$(PORT)
run: export BACKOFFICE_BASE_URL = $(BASE_URL)
run: install
	$(BIN)/backoffice db upgrade
	@$(BIN)/backoffice doctor
	$(BIN)/backoffice demo seed
	@$(BIN)/backoffice demo logins
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(BIN)/backoffice run --host $(HOST) --port $(PORT)

## run-prod: production on one machine: migrate, check, then gunicorn (a worker per core), a job
## worker and the scheduler; needs DATABASE_URL (PostgreSQL), QUEUE_BROKER_URL (Redis), SECRET_KEY...
run-prod: install
	$(BIN)/backoffice db upgrade
	@$(BIN)/backoffice doctor
	$(BIN)/backoffice serve --host $(HOST) --port $(PORT) $(if $(WORKERS),--workers $(WORKERS))

## test: install and run the whole suite (PostgreSQL too when TEST_DATABASE_URL is set)
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

## test-fast: the suite without the browser tests
test-fast: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not e2e"

## bench: performance measurements (takes minutes; PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL is set)
bench: install
	$(BIN)/python -m bench

## lint: ruff over the code, the tests and the benchmarks
lint: install
	$(BIN)/ruff check backoffice tests bench migrations

## translations: extract the marked messages of every package into its German catalog (docs/I18N.md)
translations: install
	$(BIN)/backoffice translations update

doctor: install
	$(BIN)/backoffice doctor

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
