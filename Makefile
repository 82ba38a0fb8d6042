# Tandem — the two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi
export TANDEM_ENV ?= development

.PHONY: run test install lint fmt typecheck migrate upgrade worker beat web seed translations \
        compile-translations clean bench check-commits

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tandem needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the dependencies or the lock change.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) compile-translations

compile-translations: $(STAMP)
	@$(BIN)/pybabel compile --statistics -d competitions/translations

upgrade: install
	$(BIN)/flask db upgrade

seed: upgrade
	$(BIN)/flask seed-demo

## make run: install, migrate, seed the demo, start web (http://127.0.0.1:5000) + worker + beat.
run: seed
	@bash scripts/run-dev.sh

web: install
	$(BIN)/flask run --host 127.0.0.1 --port 5000

worker: install
	$(BIN)/celery -A workers.celery_app worker --loglevel=INFO --concurrency=2

beat: install
	$(BIN)/celery -A workers.celery_app beat --loglevel=INFO

## make test: install and run the whole suite (SQLite by default; DATABASE_URL for PostgreSQL).
test: install
	TANDEM_ENV=testing $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	$(BIN)/mypy

## make migrate m="what changed": write a new Alembic revision from the models.
migrate: install
	$(BIN)/flask db revision --autogenerate -m "$(m)"

translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o competitions/translations/messages.pot \
	    --no-location --sort-output --project Tandem --ignore-dirs '.*' competitions templates
	$(BIN)/pybabel update -i competitions/translations/messages.pot -d competitions/translations \
	    --no-fuzzy-matching --ignore-obsolete --width 100

bench: install
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/*.py; do $(BIN)/python $$b; done || echo "no benchmarks yet"

## make check-commits: subjects of the commits not on origin/main (or since BASE=<rev>).
check-commits:
	@bash scripts/check-commits.sh

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache *.egg-info
