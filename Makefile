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

.PHONY: help setup run test test-lowest lint bench audit torture scale-test

help:
	@echo "make run    start the system (Prefect server, flows, inbox watcher, staff and public web apps)"
	@echo "make test   lint, format check, the import contract and the whole test suite with coverage"
	@echo "make test-lowest  the unit tests on the lowest versions pyproject.toml allows"
	@echo "make bench  benchmarks (figures in docs/benchmarks.md)"
	@echo "make scale-test  scale-out rehearsal: one machine's warm workers, then 2 standalone ppid workers (PostgreSQL, shared Prefect), 100 files; files/min side by side, invariants checked"
	@echo "make torture  crash torture: 100 files, workers and Prefect server killed (seed printed)"

var/.system-packages: scripts/setup-system.sh
	@scripts/setup-system.sh
	@mkdir -p var && touch $@

$(UV): | var/.system-packages
	@python3 -m venv $(BOOTSTRAP)
	@$(BOOTSTRAP)/bin/pip install -q "uv==$(UV_VERSION)"

# The postgres extra (psycopg) too: the tests run every database test on PostgreSQL as well.
# Modules compiled at install, ours at every setup: each `ppid` command then starts from bytecode
# even where Python does not write it itself (PYTHONDONTWRITEBYTECODE, a read-only checkout), instead
# of compiling everything it imports on every start (docs/benchmarks.md, "The command line").
$(VENV)/.synced: uv.lock pyproject.toml Makefile | $(UV)
	@$(UV) sync --frozen --quiet --extra postgres --compile-bytecode
	@touch $@

setup: var/.system-packages $(VENV)/.synced
	@$(VENV)/bin/python -m compileall -q ppid parsers flows > /dev/null

run: setup
	$(VENV)/bin/ppid run

test: setup audit
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports   # the layers and no import cycles (pyproject.toml, ARCHITECTURE.md)
	$(VENV)/bin/pytest --cov --cov-report=term:skip-covered -q

# The unit tests on the lowest versions pyproject.toml allows for our direct dependencies (uv's
# lowest-direct resolution, in a venv of its own; uv.lock is not touched), so the lower bounds
# stay true. Not the servers' tests (Prefect, IMAP, browser, crash torture): those run in `make test`.
LOWEST := var/lowest
LOWEST_SKIPS := browser service service_workers torture intake mail faults corpus corpus_families \
	bench_extract
test-lowest: setup
	@mkdir -p $(LOWEST)
	$(UV) pip compile pyproject.toml --resolution lowest-direct --extra postgres --group dev \
		--quiet -o $(LOWEST)/requirements.txt
	$(UV) venv --quiet --allow-existing $(LOWEST)/venv
	$(UV) pip sync --quiet --python $(LOWEST)/venv/bin/python $(LOWEST)/requirements.txt
	$(UV) pip install --quiet --python $(LOWEST)/venv/bin/python --no-deps -e .
	$(LOWEST)/venv/bin/pytest -q -p no:cacheprovider -m "not slow" \
		$(foreach t,$(LOWEST_SKIPS),--ignore=tests/test_$(t).py)

# Known vulnerabilities in the locked packages (pip-audit asks PyPI's JSON API; scripts/audit.py
# says plainly when it got no data, and fails on a finding) and bandit's static checks of our
# code; bandit.yaml says why each skipped check is skipped.
audit: setup
	@mkdir -p var
	$(UV) export --frozen --format requirements-txt --all-groups --all-extras --no-emit-project \
		--quiet -o var/audit-requirements.txt
	$(VENV)/bin/python scripts/audit.py var/audit-requirements.txt
	$(VENV)/bin/bandit -c bandit.yaml -r ppid parsers flows -q

lint: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

torture: setup
	nice -n 10 $(VENV)/bin/python -m tests.torture --files 100 --kills 8

# `make bench` runs every benchmark at a size that takes minutes; `make bench FULL=1` the sizes
# whose figures are in docs/benchmarks.md (an hour or more on two cores).
BENCH_QUICK := "extract.py --count 2" "intake.py --pairs 3 --bundles 2 --lone-ktp 2" \
	"render.py --quick" "search.py --quick" "fixity.py --quick" "memory.py --quick" \
	"ocr_compare.py --quick" "load.py --files 12 --idle-seconds 20" "cli.py --runs 3 --cases 20" \
	"filing.py --quick"
BENCH_FULL := extract.py intake.py render.py search.py fixity.py memory.py ocr_compare.py \
	"load.py --files 200" cli.py filing.py
bench: setup
	@for b in $(if $(FULL),$(BENCH_FULL),$(BENCH_QUICK)); do echo "== bench/$$b"; \
		$(VENV)/bin/python bench/$$b || exit 1; done

# Rehearsal of the multi-machine set-up on one machine (PostgreSQL, Prefect server, 2 workers).
scale-test: setup
	nice -n 10 $(VENV)/bin/python scripts/scale_test.py --files 100 --workers 2
