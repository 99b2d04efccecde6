# Two commands for a fresh machine: `make run` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench bench-quick clean chromium emoji-font screenshots

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

# With no Slack settings `baton run` starts the playground (http://127.0.0.1:3000/) instead.
run: $(VENV)/.installed-run
	$(BIN)/baton db upgrade
	$(BIN)/baton run

# The suite runs in TEST_WORKERS processes (pytest-xdist); TEST_WORKERS=0 runs it in this one.
TEST_WORKERS ?= 2
test: $(VENV)/.installed-test chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The playground's browser test drives Debian's chromium through Playwright (no browser download).
# As root with apt it is installed when missing; elsewhere the test is skipped, except in CI, where it fails.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium not found and cannot install it here (apt-get install chromium); the browser test skips" >&2; \
		fi; }

# Baton's messages use emoji; without a colour emoji font the screenshots would show empty boxes.
emoji-font:
	@fc-list 2>/dev/null | grep -qi "color emoji" || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji >/dev/null; \
		else \
			echo "no colour emoji font (apt-get install fonts-noto-color-emoji): emoji show as boxes" >&2; \
		fi; }

# The README's pictures, taken from a playground by a script so they stay true as Baton changes.
screenshots: $(VENV)/.installed-test chromium emoji-font
	$(BIN)/python -m playground.screenshots docs/screenshots

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check bot handlers storage tests docs playground
	$(BIN)/mypy
	$(BIN)/lint-imports

# Benchmarks print Markdown tables; docs/performance.md holds a recorded run. Not part of `make test`.
# Each script also writes its headline numbers as JSON into BENCH_OUT (default: a fresh temporary directory,
# kept and named at the end); bench/targets.py then prints the targets table from them. A script that
# fails does not stop the others: its row says "not run" and make exits non-zero.
BENCH_SCRIPTS := planner claim delivery ack ack_pg memory people_time burst
BENCH_OUT ?=
define run_benches
	@out="$(BENCH_OUT)"; [ -n "$$out" ] || out=$$(mktemp -d "$${TMPDIR:-/tmp}/baton-bench.XXXXXX"); \
	mkdir -p "$$out"; status=0; \
	for b in $(BENCH_SCRIPTS); do \
		echo "== bench/$$b.py $(1)" >&2; \
		$(BIN)/python bench/$$b.py $(1) --json "$$out/$$b.json" || { status=1; rm -f "$$out/$$b.json"; }; \
	done; \
	$(BIN)/python bench/targets.py "$$out" || status=1; \
	echo "JSON results in $$out" >&2; exit $$status
endef

bench: $(VENV)/.installed-run
	$(call run_benches,)

bench-quick: $(VENV)/.installed-run
	$(call run_benches,--quick)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
