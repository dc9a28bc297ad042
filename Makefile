# `make run` and `make test` do all set-up on a fresh machine: they create .venv when
# missing and (re)install the project whenever pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-stress lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/smart-connections run

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test
	$(BIN)/pytest

test: lint typecheck unit

# Not part of `make test` (minutes): 50,000 kudos through Slack, and a bot SIGKILLed while it
# posts 100 digests. Figures are printed and appended to stress-report.txt. LOAD_KUDOS=...,
# LOAD_DATABASE=sqlite, KILL_DIGESTS=... resize them (see tests/stress/).
test-stress: $(VENV)/.installed-test
	SMART_CONNECTIONS_STRESS=1 $(BIN)/pytest -s tests/stress

# Not part of `make test` (about 15 minutes: seeds millions of rows): every bench in bench/,
# each app under test in a process of its own, then one table of every figure with its
# baseline, ratio and target. BENCH_DIGEST_SIZES=1000000 (or ...,BACKENDS=sqlite) to shorten.
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
