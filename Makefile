# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## make run: install, migrate the embedded database, load the demo data, serve on :8000
run: $(VENV)/.installed
	$(BIN)/talkuu migrate
	$(BIN)/talkuu seed-demo
	$(BIN)/talkuu serve --host 127.0.0.1 --port 8000

## make test: install the dev dependencies and run the whole suite (SQLite unless
## TALKUU_TEST_DATABASE_URL points at PostgreSQL)
test: $(VENV)/.installed-dev
	@# axe-core for the browser tests, exactly as locked (skipped when npm is missing)
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund --silent; fi
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var
