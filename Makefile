# OpenOps developer commands. Everything runs from a local virtualenv in .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes: one per core of CI's two-core machine (`make test TEST_PROCESSES=0` runs serially).
TEST_PROCESSES ?= 2

.PHONY: install lock test-latest fuzz run test lint format bench bench-inprocess bench-scale bench-storm bench-offline bench-coverage clean

install: $(STAMP)

# Installs come from the lock (requirements/dev.txt: every package, direct and transitive, at
# an exact version with its hashes), so a fresh machine gets what CI tested. Reinstall only when
# the lock changed (the stamp is older than it). tests/test_lock.py fails if they ever differ.
$(STAMP): requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/dev.txt
	@touch $(STAMP)

# The lock from pyproject.toml's ranges: requirements/main.txt (what the app needs; the
# Dockerfile installs it) and requirements/dev.txt (that plus the tools; pinned to the same
# versions). Kept pins stay unless the ranges exclude them; `make lock UPGRADE=markdown` moves
# one package to its newest allowed version, `make lock UPGRADE=all` every package.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet $(if $(filter all,$(UPGRADE)),--upgrade,$(foreach p,$(UPGRADE),--upgrade-package $(p)))
lock: $(STAMP)
	$(UV_COMPILE) -o requirements/main.txt
	$(UV_COMPILE) --extra dev -c requirements/main.txt -o requirements/dev.txt

# The newest versions the ranges allow, in a venv of their own, with the whole suite: an
# upstream change is seen on purpose here, not by surprise on a fresh machine.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade pip
	.venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	OPENOPS_UNLOCKED=1 .venv-latest/bin/pytest -n $(TEST_PROCESSES)

# `make run` serves as a small production would (DESIGN §2): DEBUG off, a secret key made once
# under var/, static files collected and served, Celery on a filesystem broker under var/.
# `DEBUG=true make run` gives the development server instead. Each can be overridden.
RUN_ENV = DEBUG=$${DEBUG:-false} OPENOPS_TLS=$${OPENOPS_TLS:-false} \
	SECRET_KEY="$${SECRET_KEY:-$$(cat var/secret_key)}" \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL-filesystem://}

run: install
	@mkdir -p var
	@test -s var/secret_key || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	@$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	@$(RUN_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@test -f var/.demo-seeded || ($(RUN_ENV) $(BIN)/python manage.py seed_demo && touch var/.demo-seeded)
	@$(RUN_ENV) $(BIN)/python manage.py demo_logins --url http://$(HOST):$(PORT)/
	@$(RUN_ENV) $(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

test: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/pytest -n $(TEST_PROCESSES)

# The API fuzz with a far larger budget than `make test` gives it (minutes, not seconds).
fuzz: install
	OPENOPS_FUZZ_EVERY_PHASE=1 OPENOPS_FUZZ_EXAMPLES=$${OPENOPS_FUZZ_EXAMPLES:-300} $(BIN)/pytest -n $(TEST_PROCESSES) tests/test_api_fuzz.py

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache --no-logo

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Over HTTP: gunicorn, wrk, django-wiki and the floor side by side (bench/README.md).
bench: install
	$(BIN)/python bench/over_http.py

# In-process micro-benchmarks (render, resolve(), test-client pages).
bench-inprocess: install
	$(BIN)/python bench/run.py

bench-scale: install
	$(BIN)/python bench/over_http.py --scale

# Four senders for two minutes while the worker is killed twice; fails if anything is lost or doubled.
bench-storm: install
	$(BIN)/python bench/storm.py

# An offline copy of 1,000 runbooks: export, export again unchanged, the download's zip.
bench-offline: install
	$(BIN)/python bench/offline.py

# rule_coverage on a rule file of 50 alerts with the demo's routes, and on 2,000 alerts.
bench-coverage: install
	$(BIN)/python bench/coverage.py

clean:
	rm -rf $(VENV) .venv-latest var staticfiles

# Mutation testing of the modules that hold the rules (pyproject.toml, [tool.mutmut]); not part
# of `make test`. About 1,900 mutants, each run against the tests that reach it: more than an
# hour on two busy cores, so a run stops after 55 minutes and the next carries on from the
# results kept in mutants/ (`rm -rf mutants` starts over). `mutmut show <name>` shows one.
mutate: install
	-timeout 55m $(BIN)/mutmut run --max-children $(TEST_PROCESSES)
	$(BIN)/mutmut results
