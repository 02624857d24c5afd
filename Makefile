# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install install-dev run test lint typecheck unit bench bench-deps soak clean browser-deps contract-deps screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Start the API in sandbox mode on an embedded PostgreSQL, with the demo catalogue and staff.
run: install
	$(BIN)/onewindow serve --demo

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: install-dev
	$(BIN)/mypy

## The browser tests (tests/browser) drive Debian's Chromium with CJK fonts: installed here when
## missing (as root on Debian), otherwise the command to run is printed and make stops.
CHROMIUM ?= /usr/bin/chromium
browser-deps:
	@if [ -x $(CHROMIUM) ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then :; \
	elif [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then \
		echo "installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
		apt-get update -q && apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk; \
	else \
		echo "The browser tests need Chromium and CJK fonts: sudo apt-get install -y chromium fonts-noto-cjk" >&2; \
		exit 1; \
	fi

## The contract check (tests/contract) generates TypeScript from the served OpenAPI document and
## compiles the reference mini-program client with tsc --strict: Debian's nodejs and npm are
## installed here when missing, then the npm packages pinned in tests/contract/package-lock.json.
contract-deps:
	@if command -v node >/dev/null && command -v npm >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then \
		echo "installing Debian's nodejs and npm for the contract check"; \
		apt-get update -q && apt-get install -y -q --no-install-recommends nodejs npm; \
	else \
		echo "The contract check needs Node.js: sudo apt-get install -y nodejs npm" >&2; \
		exit 1; \
	fi
	cd tests/contract && npm ci --no-fund --no-audit --loglevel=error

## Lint, type-check and run the whole suite (browser tests and contract check included) against
## real PostgreSQL.
test: lint typecheck browser-deps contract-deps
	$(BIN)/pytest -q

## A PNG of every console page in docs/console/ (1280 px; the courier pages at 375 px).
screenshots: install-dev browser-deps
	ONEWINDOW_SCREENSHOTS=docs/console $(BIN)/pytest -q tests/browser

unit: install-dev
	$(BIN)/pytest -q tests/unit

## wrk (the HTTP load generator) from Debian's packages when missing, as for the browser tests.
bench-deps:
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then \
		echo "installing Debian's wrk for the HTTP benchmarks"; \
		apt-get update -q && apt-get install -y -q --no-install-recommends wrk; \
	else \
		echo "The HTTP benchmarks need wrk: sudo apt-get install -y wrk" >&2; \
		exit 1; \
	fi

bench: install-dev bench-deps
	$(BIN)/python -m bench

## The soak and fault run: the real server at a fixed mixed rate for SOAK_SECONDS (default 600)
## while PostgreSQL stops, WeChat goes down and a worker is killed (docs/reliability.md).
SOAK_SECONDS ?= 600
soak: install-dev
	SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache tests/contract/node_modules tests/contract/generated
