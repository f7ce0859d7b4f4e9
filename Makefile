# The two commands a newcomer needs: `make demo` and `make test`.
# Everything else is a building block of those two (see README.md).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK ?= requirements/dev.lock
STAMP := $(VENV)/.installed-$(notdir $(LOCK))
PORT ?= 8000
# Links in e-mails point at the demo's own port unless the environment says otherwise.
MCQA_SITE_URL ?= http://127.0.0.1:$(PORT)
export MCQA_SITE_URL
PYTEST_ARGS ?=
PYTEST_MARKERS ?= not postgres and not redis

export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv install system-deps system-deps-pdf demo demo-prepare test lint format bench clean messages

help:
	@echo "make demo         install, migrate, seed demo data, run web + Celery worker + beat"
	@echo "make test         ruff (lint + format check) and the pytest suite on SQLite"
	@echo "make lint         ruff check and ruff format --check only"
	@echo "make format       ruff check --fix and ruff format"
	@echo "make bench        run the benchmarks (python -m bench.run)"
	@echo "make system-deps  apt-get install what is missing: chromium, poppler-utils, qpdf, Pango"
	@echo "make messages     update the German catalogues from the code and compile them (GNU gettext)"
	@echo "make clean        remove var/, caches and test artifacts (keeps .venv)"

# Debian's own python3 needs python3-venv for this; it is installed when missing (as root).
$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { \
		[ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null && rm -rf $(VENV) \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv \
		&& $(PYTHON) -m venv $(VENV); }

# Installs exactly the locked versions; uv is installed into the venv first because it is
# an order of magnitude faster than pip, and pip stays the fallback if uv cannot be had.
$(STAMP): $(LOCK) | $(BIN)/python
	@echo "==> installing $(LOCK) into $(VENV)"
	@if $(BIN)/python -m pip install -q --disable-pip-version-check uv \
		&& $(BIN)/uv pip install -q --python $(BIN)/python -r $(LOCK); then :; \
	else \
		echo "uv unavailable: falling back to pip"; \
		$(BIN)/python -m pip install -q --disable-pip-version-check -r $(LOCK); \
	fi
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(BIN)/python
install: $(STAMP)

# Debian packages, installed with apt-get only when missing (and only as root).
system-deps:
	@bash scripts/system-deps.sh test

system-deps-pdf:
	@bash scripts/system-deps.sh pdf

# ---------------------------------------------------------------------------- demo

demo-prepare: export DJANGO_SETTINGS_MODULE = config.settings.demo
demo-prepare: $(STAMP) system-deps-pdf
	@mkdir -p var/broker/out var/broker/processed var/media var/static
	@echo "==> migrating var/db.sqlite3"
	@$(BIN)/python manage.py migrate --no-input -v 0
	@$(BIN)/python manage.py load_standards
	@echo "==> demo accounts (the cases are seeded once the web server answers)"
	@$(BIN)/python manage.py seed_demo --accounts-only
	@$(BIN)/python manage.py collectstatic --no-input -v 0

demo: export DJANGO_SETTINGS_MODULE = config.settings.demo
demo: demo-prepare
	@PORT=$(PORT) $(BIN)/python scripts/demo.py

# ---------------------------------------------------------------------------- quality

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: export DJANGO_SETTINGS_MODULE = config.settings.test
test: $(STAMP) system-deps lint
	$(BIN)/pytest -m "$(PYTEST_MARKERS)" $(PYTEST_ARGS)

# wrk is wanted, not required: without it (and without root to install it) the
# registry benchmark drives the load with its Python client.
bench: $(STAMP)
	@bash scripts/system-deps.sh bench || echo "==> wrk missing: bench.registry uses its Python client"
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m bench.run

# The catalogues under locale/ (django.po for pages, e-mails and reports, djangojs.po for
# the page script) are updated from the marked strings; the compiled .mo files are
# committed, so running the system needs no gettext tools. tests/i18n checks both are
# complete and current.
MAKEMESSAGES := makemessages -l de --no-obsolete --add-location file \
	--ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'bench-results/*' \
	--ignore 'test-artifacts/*' --ignore 'site-export/*' --ignore 'scripts/*'
messages: export DJANGO_SETTINGS_MODULE = config.settings.test
messages: $(STAMP)
	$(BIN)/python manage.py $(MAKEMESSAGES)
	$(BIN)/python manage.py $(MAKEMESSAGES) -d djangojs --ignore 'var/*' --ignore 'static/vendor/*'
	$(BIN)/python manage.py compilemessages -l de --ignore '.venv'

clean:
	rm -rf var .pytest_cache .ruff_cache .hypothesis bench-results test-artifacts site-export
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf
