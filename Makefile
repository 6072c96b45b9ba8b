# The two commands of the README: `make run` and `make test`. `make bench` measures speed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(VENV)/.installed $(VENV)/.installed-dev $@

run: $(VENV)/.installed
	$(BIN)/hooksmith serve

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: lint
	@# The browser tests drive $$HOOKSMITH_BROWSER, else Debian's chromium, installed here when
	@# missing (Playwright's own download needs the browser vendor's CDN, which may be unreachable).
	@[ -n "$$HOOKSMITH_BROWSER" ] || [ -x /usr/bin/chromium ] || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	$(BIN)/pytest -q

bench: $(VENV)/.installed-bench
	@# bench/peers.py installs Node-RED 4 from npm into bench/.cache/node-red on first use.
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk nginx-light)
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update -qq && apt-get install -y -qq nginx-light)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/peers.py
	$(BIN)/python bench/outbound.py
	$(BIN)/python bench/hotspots.py
	$(BIN)/python bench/notices.py
