# GovTrust — the README's two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
GOVTRUST := $(VENV)/bin/govtrust
SCALE ?= 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test bench lint format setup setup-dev assets sysdeps-demo sysdeps-test lock messages

# --- set-up (each step is skipped when its inputs have not changed) ----------------------------
$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "GovTrust needs Python 3.11 or newer; found " + sys.version)'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	touch $@

$(VENV)/.base-installed: requirements/base.lock pyproject.toml $(VENV)/.python-ok
	$(PY) -m pip install -q -r requirements/base.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements/dev.lock pyproject.toml $(VENV)/.base-installed
	$(PY) -m pip install -q -r requirements/dev.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed
	@mkdir -p src/govtrust/static/vendor
	@cp -u node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js src/govtrust/static/vendor/

setup: $(VENV)/.base-installed assets
setup-dev: $(VENV)/.dev-installed assets

sysdeps-demo:
	@scripts/sysdeps.sh demo

sysdeps-test:
	@scripts/sysdeps.sh test

# --- the two commands -------------------------------------------------------------------------
demo: setup sysdeps-demo
	$(GOVTRUST) migrate --no-input -v 0
	$(GOVTRUST) demo load
	GOVTRUST_MANIFEST_STATIC=1 $(GOVTRUST) collectstatic --no-input -v 0
	scripts/demo-serve.sh

test: setup-dev sysdeps-test
	GOVTRUST_TESTING=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

# --- the rest ---------------------------------------------------------------------------------
bench: setup-dev
	@set -e; for script in benchmarks/[a-z]*.py; do \
		echo "== $$script (SCALE=$(SCALE))"; SCALE=$(SCALE) $(PY) $$script; done

lint: setup-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

format: setup-dev
	$(VENV)/bin/ruff check --fix src tests benchmarks
	$(VENV)/bin/ruff format src tests benchmarks

# Regenerate the exact-version locks from pyproject.toml (needs network to PyPI).
lock:
	$(PY) -m pip install -q uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 -q -o requirements/base.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 -q -o requirements/dev.lock

# Extract new strings into locale/en/…/django.po, then (after translating them) compile the .mo.
# Needs GNU gettext (Debian: gettext). tests/test_i18n.py fails while any string is untranslated.
messages: setup-dev
	cd src/govtrust && ../../$(VENV)/bin/django-admin makemessages -l en --settings=govtrust.settings -i "migrations/*"
	msgfmt --check -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po
