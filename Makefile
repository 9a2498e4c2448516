# The Makefile mirrors CI: `.ci/run` runs `make test`. Every target installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CHROMIUM ?= /usr/bin/chromium
REASON ?= paused from make

.PHONY: help install chromium lint format test test-fast demo run redis-stop pause resume status clean bench

help:
	@echo "make demo     run the whole pipeline on examples/leads.csv (embedded Redis, outbox)"
	@echo "make test     lint (ruff, mypy) + pytest, as CI runs it"
	@echo "make chaos    1,000 leads under killed workers, a Redis restart and faulty sites/SMTP"
	@echo "make bench    the performance benchmarks (issue 20) and brand accuracy, each printing its table"
	@echo "make run      start Redis (embedded, unless REDIS_URL) and every Procfile process under honcho"
	@echo "make redis-stop   stop the embedded Redis (it outlives make run on purpose)"
	@echo "make pause REASON='...' / make resume   stop / restart the line"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(STAMP)

# Debian's Chromium for the browser checks (`playwright install` cannot download browsers here).
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "installing Debian's chromium (needs root)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

lint: install
	$(BIN)/ruff check pipeline workers tests benchmarks examples
	$(BIN)/ruff format --check pipeline workers tests benchmarks examples
	$(BIN)/mypy

format: install
	$(BIN)/ruff format pipeline workers tests benchmarks examples
	$(BIN)/ruff check --fix pipeline workers tests benchmarks examples

test: install chromium lint
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

demo: install
	@PATH="$(CURDIR)/$(BIN):$$PATH" scripts/demo.sh

# Redis is a service, not a Procfile process: it is started here (no-op with REDIS_URL) and keeps
# running after honcho stops, so workers always stop before it. `make redis-stop` stops it.
# honcho reads no env file itself (-e /dev/null): every `pipeline` process reads the same one.
# The chaos suite: real workers under a killer, a Redis restart, faulty sites and SMTP, then
# reconcile; fails on any stranded lead or duplicate email. CHAOS_LEADS=200 for a quicker run.
CHAOS_LEADS ?= 1000
chaos: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m benchmarks.chaos --leads $(CHAOS_LEADS)

# The benchmarks of issue 20 (each prints its figures and the ratio to a baseline of the same run,
# on a Redis of its own) and brand accuracy. Sizes fit this shared 2-core host; the issue's own sizes:
# BENCH_INGEST_ROWS=100000 BENCH_BIG_ROWS=1000000 BENCH_LEADS=2000 BENCH_E2E_LEADS=1000.
BENCH_INGEST_ROWS ?= 20000
BENCH_BIG_ROWS ?= 0
BENCH_LEADS ?= 500
BENCH_E2E_LEADS ?= 30
bench: install chromium
	$(BIN)/python benchmarks/ingest.py --rows $(BENCH_INGEST_ROWS) --big-rows $(BENCH_BIG_ROWS) --rounds 3
	$(BIN)/python benchmarks/overhead.py --leads $(BENCH_LEADS)
	$(BIN)/python benchmarks/redis_footprint.py --leads $(BENCH_LEADS)
	$(BIN)/python benchmarks/throughput.py --leads $(BENCH_E2E_LEADS)
	$(BIN)/python benchmarks/brand_accuracy.py

run: install
	$(BIN)/pipeline redis start
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -e /dev/null

redis-stop: install
	$(BIN)/pipeline redis stop

pause: install
	$(BIN)/pipeline pause --reason "$(REASON)"

resume: install
	$(BIN)/pipeline resume

status: install
	$(BIN)/pipeline status

clean:
	-$(BIN)/pipeline redis stop 2>/dev/null
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
