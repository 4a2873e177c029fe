# Two commands for a fresh machine: `make demo` and `make test`. Everything else is installed here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck unit install postgres chromium guide-tools bench clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo resets ./syndic-data (its own data dir) and runs one whole round on the arXiv coalition.
demo: $(STAMP)
	rm -rf syndic-data
	$(BIN)/syndic demo --data-dir syndic-data

# Start the local PostgreSQL if it is down (CI must run the PostgreSQL tests, never skip them).
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
	  echo "PostgreSQL did not come up on 127.0.0.1:5432"; exit 1

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# curl and jq: the guides' commands (tests/integration/docs runs them as written)
guide-tools:
	@command -v curl >/dev/null && command -v jq >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl jq >/dev/null)
# axe-core for the browser tests' accessibility checks, from npm into ./node_modules (ignored).
node_modules/axe-core/axe.min.js: package.json
	npm install --no-audit --no-fund --silent
	touch $@

# The screenshots in docs/web.md, taken from a small coalition by a real browser.
screenshots: $(STAMP) chromium
	$(BIN)/python scripts/web_screenshots.py docs/screenshots

lint: $(STAMP)
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy src

test: $(STAMP) postgres chromium guide-tools node_modules/axe-core/axe.min.js lint typecheck
	$(BIN)/python -m pytest -q

bench: $(STAMP) postgres
	$(BIN)/python benchmarks/bench_import.py

clean:
	rm -rf $(VENV) syndic-data .pytest_cache .mypy_cache .ruff_cache node_modules
