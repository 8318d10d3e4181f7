# Đoàn Số — the newcomer's commands. `make run` serves the demo; `make test` runs every test.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DJANGO := DJANGO_DEBUG=1 $(BIN)/python manage.py

.PHONY: run test check bench setup browser demo clean lint format

$(BIN)/.installed: requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(BIN)/.installed node_modules/.installed
	@mkdir -p var

# Debian's Chromium for the browser tests (never a downloaded browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)) ; \
	  else echo "Chromium missing: install Debian's chromium package (sudo apt-get install chromium)"; fi; \
	fi

demo: setup
	$(DJANGO) migrate --noinput
	$(DJANGO) seed_demo --if-empty

# The background-jobs worker (exports…) runs beside the web server and stops with it. django-q2's
# cluster can hang on a signal (django-q2 issues #66, #346): it gets 10 s, then SIGKILL.
run: demo
	@$(DJANGO) demo_logins --port $(PORT)
	@$(DJANGO) qcluster & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; for i in $$(seq 20); do kill -0 $$worker 2>/dev/null || exit 0; sleep 0.5; done; \
	      kill -9 $$worker 2>/dev/null' EXIT; \
	$(DJANGO) runserver 127.0.0.1:$(PORT)

test: setup browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: setup lint
	$(DJANGO) check
	$(DJANGO) makemigrations --check --dry-run
	$(MAKE) test

bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var .pytest_cache
