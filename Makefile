# The two commands a newcomer needs: `make up` (the platform on embedded defaults) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := -e libs/identifiers -e libs/common -e libs/tlog -e services/catalog -e services/access -e services/linkage \
            -e services/audit -e services/workspace -e gateway -e tools/devstack
STAMP := $(VENV)/.installed

.PHONY: install up test demo soak bench seed backup restore lint audit fmt clean lock images

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The linkage kernel is compiled at install: a change to its C source reinstalls.
KERNEL := services/linkage/setup.py services/linkage/src/linkage/pseudonyms/_hmac.c

# Every third-party distribution at its pin in the lock (constraints.txt, `make lock`).
LOCK := constraints.txt
# JupyterHub's proxy (npm), for the tests' notebook hub: under .venv/node (without npm, the
# platform still installs and runs; the notebook session tests then fail and say why).

$(STAMP): $(BIN)/python $(wildcard */pyproject.toml */*/pyproject.toml pyproject.toml) $(KERNEL) $(LOCK)
	$(BIN)/pip install --quiet --config-settings editable_mode=compat -c $(LOCK) $(PACKAGES) -e '.[test]'
	if command -v npm >/dev/null; then \
		npm install --silent --no-audit --no-fund --prefix $(VENV)/node configurable-http-proxy@5; \
	else echo "npm not found: the notebook session tests need configurable-http-proxy"; fi
	touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(BIN)/python -m hdh_dev.up

test: $(STAMP)
	$(BIN)/pytest

# The whole journey through the gateway of a running `make up` (DEMO_GATEWAY to point elsewhere).
DEMO_GATEWAY ?= http://localhost:8000
demo: $(STAMP)
	$(BIN)/python -m hdh_dev.demo --gateway $(DEMO_GATEWAY)

# Mixed traffic through the gateway of a running `make up`: SOAK_CLIENTS clients, SOAK_SECONDS.
SOAK_CLIENTS ?= 20
SOAK_SECONDS ?= 300
soak: $(STAMP)
	$(BIN)/python -m hdh_dev.soak --gateway $(DEMO_GATEWAY) --clients $(SOAK_CLIENTS) \
		--duration $(SOAK_SECONDS)

# Import a folder of Table Schemas into the catalogue: make seed PATH=../shared/data/snds
# ($(BIN)/python, not python: PATH is the folder here, not the shell's search path).
# By default into the database of a running `make up`.
SEED_DATABASE_URL ?= $(or $(HDH_DATABASE_URL),postgresql+asyncpg://postgres@127.0.0.1:5433/hdh)
seed: $(STAMP)
	HDH_DATABASE_URL="$(SEED_DATABASE_URL)" $(BIN)/python -m catalog.seed "$(PATH)"

# The embedded platform's state (each service's schema, the object store) into
# .hdh/backups/<UTC timestamp>/ with a manifest of sha256; the platform may keep running.
# `make restore` puts back BACKUP (default: the latest) with the platform stopped.
backup: $(STAMP)
	$(BIN)/python -m hdh_dev.backup backup

BACKUP ?=
restore: $(STAMP)
	$(BIN)/python -m hdh_dev.backup restore $(BACKUP)
	$(BIN)/python -m hdh_dev.backup check

# Benchmarks: every bench/bench_*.py of every part, each printing its figures and its ratio
# against a baseline measured in the same run.
bench: $(STAMP)
	$(BIN)/pip install --quiet --config-settings editable_mode=compat -c $(LOCK) -e '.[bench]'
	@set -e; for script in $(wildcard */bench/bench_*.py services/*/bench/bench_*.py); do \
		echo "== $$script"; $(BIN)/python $$script; done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m hdh_dev.depaudit $(AUDIT_FLAGS)
	$(BIN)/python -m hdh_dev.lock check

# Re-resolve the lock after a change of declared dependencies (pins that still fit are kept;
# LOCK_UPGRADE="pkg other" moves those to their newest fitting release).
LOCK_UPGRADE ?=
lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/python -m hdh_dev.lock write $(foreach p,$(LOCK_UPGRADE),--upgrade-package $(p))

# Every part's image from the one Dockerfile, tagged hdh/<part>:$(IMAGE_TAG) (needs Docker).
IMAGE_TAG ?= dev
IMAGES := gateway:gateway:8000 services/catalog:catalog:8001 services/access:access:8002 \
          services/linkage:linkage:8003 services/audit:audit:8004 services/workspace:workspace:8005
images:
	@set -e; for image in $(IMAGES); do \
		part=$${image%%:*}; rest=$${image#*:}; app=$${rest%%:*}; port=$${rest#*:}; \
		proxy=true; [ "$$app" = gateway ] && proxy=false; \
		echo "== hdh/$$app:$(IMAGE_TAG)"; \
		docker build --build-arg PART=$$part --build-arg APP=$$app --build-arg PORT=$$port \
			--build-arg PROXY_HEADERS=$$proxy -t hdh/$$app:$(IMAGE_TAG) .; \
	done

# Known vulnerabilities with a released fix in the installed packages fail (pip-audit); so
# does a package the vulnerability service could not be asked about, unless
# AUDIT_FLAGS=--unaudited=warn (the default while this machine cannot reach that service).
AUDIT_FLAGS ?= --unaudited=warn
audit: $(STAMP)
	$(BIN)/python -m hdh_dev.depaudit $(AUDIT_FLAGS)

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
