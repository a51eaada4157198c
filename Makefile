# The two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP := $(VENV)/.riskreg-run
DEV_STAMP := $(VENV)/.riskreg-dev
# pytest-xdist workers for `make test` (auto: one per CPU); `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= auto

.PHONY: run test lint bench migrate seed check-system clean

## run: set up .venv, migrate the SQLite database in ./var, load demo data and one demo user per role (prints how to sign in), serve on http://127.0.0.1:8000
run: check-system $(RUN_STAMP)
	$(BIN)/riskreg migrate
	$(BIN)/riskreg seed-demo
	$(BIN)/riskreg serve

## test: set up .venv with the dev extras and run the whole suite (PostgreSQL too when TEST_DATABASE_URL is set)
test: check-system $(DEV_STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## lint: ruff over the code and tests (CI runs it before the suite)
lint: $(DEV_STAMP)
	$(BIN)/ruff check app tests benchmarks migrations scripts

## bench: the speed and memory benchmarks; prints medians and ratios
bench: check-system $(DEV_STAMP)
	$(BIN)/python -m benchmarks

migrate: $(RUN_STAMP)
	$(BIN)/riskreg migrate

seed: $(RUN_STAMP)
	$(BIN)/riskreg seed-demo

check-system:
	@$(PYTHON) scripts/check_system.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(RUN_STAMP)

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
