# OpenOps developer commands. Everything runs from a local virtualenv in .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format bench bench-scale clean

install: $(STAMP)

# Reinstall only when pyproject.toml changed (the stamp is older than it).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	@test -f var/.demo-seeded || ($(BIN)/python manage.py seed_demo && touch var/.demo-seeded)
	@$(BIN)/python manage.py demo_logins
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/run.py

bench-scale: install
	$(BIN)/python bench/run.py --scale

clean:
	rm -rf $(VENV) var staticfiles
