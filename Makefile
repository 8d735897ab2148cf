# Two commands: `make run` starts the whole system, `make test` runs every check.
# Both set up what is missing first: Debian packages (as root) and the locked virtual environment.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BOOTSTRAP := var/bootstrap
UV := $(BOOTSTRAP)/bin/uv
UV_VERSION := 0.13.9
export OMP_THREAD_LIMIT := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help setup run test lint format bench

help:
	@echo "make run    start the system (Prefect server, flows, inbox watcher, web app)"
	@echo "make test   lint, format check and the whole test suite with coverage"
	@echo "make bench  benchmarks (figures go in README.md)"

var/.system-packages: scripts/setup-system.sh
	@scripts/setup-system.sh
	@mkdir -p var && touch $@

$(UV): | var/.system-packages
	@python3 -m venv $(BOOTSTRAP)
	@$(BOOTSTRAP)/bin/pip install -q "uv==$(UV_VERSION)"

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	@$(UV) sync --frozen --quiet
	@touch $@

setup: var/.system-packages $(VENV)/.synced

run: setup
	$(VENV)/bin/ppid run

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest --cov --cov-report=term:skip-covered -q

lint: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done
