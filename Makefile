# Two commands a user needs: `make demo` and `make test`. Both build .venv from the lock file first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
# Browser tests drive Debian's Chromium (Playwright's own browser download does not work offline).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint clean
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	# Bytecode now, not on first import: every crawl and extraction worker is a fresh process, and where
	# PYTHONDONTWRITEBYTECODE is set nothing would ever be cached (imports then cost 2-3x).
	$(BIN)/uv pip install -q --compile-bytecode --require-hashes --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	# The project's own modules too (the editable install compiles nothing): ~0.1 s of every crawl's start.
	$(BIN)/python -m compileall -q cli extract flows migdigest outputs spiders storage
	touch $@

$(CHROMIUM):
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium

demo: $(VENV)/.installed
	$(BIN)/migdigest demo

# Lint, format, types and layers first (seconds), then the suite on both cores (xdist).
test: $(VENV)/.installed $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q -n 2

lint: $(VENV)/.installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy && $(BIN)/lint-imports

clean:
	rm -rf $(VENV) data out .pytest_cache .mypy_cache
