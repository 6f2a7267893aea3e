# Two commands do the whole set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt 2>/dev/null | sha1sum | cut -c1-12)
ASSETS_STAMP := portal/static/vendor/.installed-$(shell cat package-lock.json 2>/dev/null | sha1sum | cut -c1-12)
export PORTAL_INSTANCE_DIR ?= $(CURDIR)/instance

.PHONY: run serve install assets migrate seed test test-sqlite test-postgresql test-deps system-deps bench-deps lint format-check security audit bench scale-out clean

## install: the virtualenv with the app and its test tools, at the locked versions
install: $(STAMP)
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

## assets: htmx, USWDS and axe-core from npm (package-lock.json), copied into portal/static/vendor/
assets: $(ASSETS_STAMP)
$(ASSETS_STAMP): package-lock.json | install
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/install_assets.py
	rm -f portal/static/vendor/.installed-* && touch $@

migrate: install
	$(BIN)/portal db upgrade

seed: migrate
	$(BIN)/portal seed-demo

## run: install, migrate, seed the demo when empty, serve on http://127.0.0.1:8000 with the worker
run: install assets seed
	PORTAL_ENV=development $(BIN)/python scripts/serve.py

## test: the format check and security checks, then the whole suite on SQLite and on PostgreSQL (browser, accessibility and fuzz tests included).
## The two halves run side by side (TEST_JOBS=1 runs them one after the other); each prints its output when it ends.
TEST_JOBS ?= 2
test: install assets system-deps bench-deps
	$(MAKE) --no-print-directory format-check
	$(MAKE) --no-print-directory security
	$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=recurse test-sqlite test-postgresql

test-sqlite: install assets
	PORTAL_TEST_DB=sqlite $(BIN)/pytest -q -p no:cacheprovider

test-postgresql: install assets
	@if $(BIN)/python -c "from tests.support.postgres import find_pg_bin; raise SystemExit(find_pg_bin() is None)"; then \
		PORTAL_TEST_DB=postgresql $(BIN)/pytest -q -p no:cacheprovider; \
	else \
		echo "SKIPPED: the PostgreSQL half (no PostgreSQL 15 binaries in /usr/lib/postgresql; apt-get install postgresql-15)"; \
	fi

## system-deps: PostgreSQL 15 and Chromium from Debian when missing and we are allowed (root or CI)
system-deps:
	@$(BIN)/python scripts/system_deps.py

## security: ruff, bandit (fails on high severity), pip-audit and npm audit (UNVERIFIED when their service is unreachable)
## (the hypothesis fuzz test of every POST route is tests/security/, run by pytest in both halves of `make test`)
security: install
	$(BIN)/ruff check portal dso_admin tests scripts bench
	$(BIN)/bandit -q -c pyproject.toml -r portal dso_admin scripts bench -lll
	$(BIN)/python scripts/security_audit.py

## lint: ruff and every bandit finding (low and medium too), without failing on the latter
lint: install
	$(BIN)/ruff check portal dso_admin tests scripts bench
	$(BIN)/bandit -q -c pyproject.toml -r portal dso_admin scripts bench -lll
	-$(BIN)/bandit -q -c pyproject.toml -r portal dso_admin scripts bench

## format-check: ruff format --check (part of `make test`); `ruff format` fixes what it lists
format-check: install
	$(BIN)/ruff format --check portal dso_admin tests scripts bench

audit: install
	$(BIN)/python scripts/security_audit.py

## bench-deps: wrk and redis-server from Debian when missing (for `make bench` and `make scale-out`)
bench-deps:
	@$(BIN)/python scripts/bench_deps.py

## bench: seed a large dataset, serve it with gunicorn (2 workers), drive it with wrk beside a hello-world floor;
## then render bench/results/latest.json's table into README.md and bench/README.md
bench: install assets bench-deps
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.report

## scale-out: two gunicorns + two workers on one PostgreSQL and one Redis; sessions, rate limits, email once
## (also part of the PostgreSQL half of `make test`)
scale-out: install assets system-deps bench-deps
	PORTAL_TEST_DB=postgresql $(BIN)/pytest -q -p no:cacheprovider tests/integration/test_scale_out.py

clean:
	rm -rf $(VENV) node_modules portal/static/vendor instance/portal.db*
