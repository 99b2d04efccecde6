# Two commands for a fresh machine: `make run` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench bench-quick clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Baton needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/baton db upgrade
	$(BIN)/baton run

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check bot handlers storage tests docs
	$(BIN)/mypy
	$(BIN)/lint-imports

# Benchmarks print Markdown tables; docs/performance.md holds a recorded run. Not part of `make test`.
bench: $(VENV)/.installed-run
	$(BIN)/python bench/planner.py
	$(BIN)/python bench/delivery.py
	$(BIN)/python bench/ack.py

bench-quick: $(VENV)/.installed-run
	$(BIN)/python bench/planner.py --quick
	$(BIN)/python bench/delivery.py --quick
	$(BIN)/python bench/ack.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
