# MeatyAPIs — the one entry point. `make help` lists the targets.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

export PATH := $(CURDIR)/.tools/bin:$(PATH)
UV ?= uv
UV_RUN := $(UV) run --frozen
PYTEST := $(UV_RUN) pytest
COVERAGE_FLOOR ?= 90

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

## ---- setup -------------------------------------------------------------------------------

.PHONY: install
install: ## Install both services and the dev tools into .venv (uv, from uv.lock)
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv
	$(UV) sync --all-packages --frozen

.PHONY: tools
tools: ## Install helm 3 and 4, actionlint and the chart README generator into .tools/
	bash scripts/install-tools.sh

## ---- run -----------------------------------------------------------------------------------

.PHONY: run
run: install ## Run the services with their production servers on 127.0.0.1 (Ctrl-C stops all)
	bash scripts/run.sh

## ---- checks --------------------------------------------------------------------------------

.PHONY: test
test: lint test-apps ## Everything: lint, unit and integration tests, charts, images (the CI command)

.PHONY: lint
lint: install ## ruff, format check, mypy on the apps
	$(UV_RUN) ruff check .
	$(UV_RUN) ruff format --check .
	$(UV_RUN) mypy apps/flask/src apps/fastapi/src

.PHONY: fmt
fmt: install ## Apply ruff's fixes and formatting
	$(UV_RUN) ruff check --fix .
	$(UV_RUN) ruff format .

.PHONY: test-apps
test-apps: install ## Unit and integration tests of both services, with branch coverage (floor: COVERAGE_FLOOR)
	$(PYTEST) apps/flask/tests apps/fastapi/tests \
		--cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)
