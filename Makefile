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
run: install ## Install what is missing, run the services and Prometheus on 127.0.0.1 (Ctrl-C stops all)
	bash scripts/install-system.sh run
	bash scripts/install-tools.sh run
	bash scripts/run.sh

## ---- checks --------------------------------------------------------------------------------

.PHONY: test
test: lint test-apps test-integration test-browser test-run charts test-gitops test-monitoring test-monitoring-live test-workflows test-images test-reliability ## Everything: lint, unit and integration tests, charts, images (the CI command)

.PHONY: lint
lint: install lint-workflows ## ruff, format check, mypy on the chassis and the apps; workflows and shell scripts
	$(UV_RUN) ruff check .
	$(UV_RUN) ruff format --check .
	$(UV_RUN) mypy libs/meatyapis-chassis/src apps/flask/src apps/fastapi/src

.PHONY: fmt
fmt: install ## Apply ruff's fixes and formatting
	$(UV_RUN) ruff check --fix .
	$(UV_RUN) ruff format .

.PHONY: test-apps
test-apps: install ## Unit and integration tests of the chassis and both services, with branch coverage (floor: COVERAGE_FLOOR)
	$(PYTEST) libs/meatyapis-chassis/tests apps/flask/tests apps/fastapi/tests \
		--cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

.PHONY: test-integration
test-integration: install ## Both services together: tokens over HTTP, identity killed, restarted, slow; one contract for both (~1 min)
	$(PYTEST) tests/integration tests/contract -q -s

.PHONY: test-browser
test-browser: install ## Both services in a real chromium: docs pages, Authorize + Try it out, welcome page
	@test -x /usr/bin/chromium && test -x /usr/bin/chromedriver || bash scripts/install-system.sh
	$(PYTEST) tests/browser -q -s

.PHONY: test-run
test-run: install ## `make run` as a user runs it: banner, its example commands, Ctrl-C leaves nothing behind
	$(PYTEST) tests/run -q -s

## ---- images ------------------------------------------------------------------------------
# Host details live here, never in the Dockerfile (one for both images: --build-arg APP=flask|fastapi). Defaults fit a machine without registry
# access: podman, a locally debootstrapped base image, host network and CA bundle for builds.
# With Docker and a registry: make images CONTAINER_ENGINE=docker PYTHON_BASE=python:3.11-slim-bookworm IMAGE_BUILD_FLAGS=
CONTAINERS_CONF ?= $(CURDIR)/scripts/podman/containers.conf
override CONTAINERS_CONF := $(abspath $(CONTAINERS_CONF))
export CONTAINERS_CONF
CONTAINER_ENGINE ?= podman
LOCAL_BASE_IMAGE := localhost/meatyapis-base:bookworm
PYTHON_BASE ?= $(LOCAL_BASE_IMAGE)
IMAGE_PREFIX ?= localhost/
IMAGE_TAG ?= dev
IMAGE_BUILD_FLAGS ?= --network=host --build-arg UV_SYSTEM_CERTS=1 \
	-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro
# Extra build flags per image, e.g. a layer cache; $(1) is replaced by the app name (flask, fastapi).
IMAGE_CACHE_FLAGS ?=
IMAGE_REVISION := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
IMAGE_BUILD = $(CONTAINER_ENGINE) build $(IMAGE_BUILD_FLAGS) --build-arg PYTHON_BASE=$(PYTHON_BASE) \
	--build-arg REVISION=$(IMAGE_REVISION)
app_version = $$(sed -n 's/^version = "\(.*\)"/\1/p' apps/$(1)/pyproject.toml | head -n 1)

.PHONY: images
images: ## Build both service images from the Dockerfile (podman; the local base image first if absent)
	@if [ "$(PYTHON_BASE)" = "$(LOCAL_BASE_IMAGE)" ]; then bash scripts/base-image.sh "$(LOCAL_BASE_IMAGE)"; fi
	$(IMAGE_BUILD) $(call IMAGE_CACHE_FLAGS,flask) --build-arg APP=flask \
		--build-arg VERSION=$(call app_version,flask) -t $(IMAGE_PREFIX)meatyapis-flask:$(IMAGE_TAG) .
	$(IMAGE_BUILD) $(call IMAGE_CACHE_FLAGS,fastapi) --build-arg APP=fastapi \
		--build-arg VERSION=$(call app_version,fastapi) -t $(IMAGE_PREFIX)meatyapis-fastapi:$(IMAGE_TAG) .
	@$(MAKE) image-sizes

.PHONY: test-images
test-images: install ## Build the images, run each as Kubernetes/OpenShift would, and compose.yaml's services; check compose.yaml
	$(PYTEST) tests/images tests/compose -q -s

.PHONY: image-sizes
image-sizes: ## Print the size of both service images
	@for app in flask fastapi; do \
		$(CONTAINER_ENGINE) image inspect --format "{{.Size}}" $(IMAGE_PREFIX)meatyapis-$$app:$(IMAGE_TAG) \
		| awk -v i="$(IMAGE_PREFIX)meatyapis-$$app:$(IMAGE_TAG)" '{printf "%-40s %6.1f MB\n", i, $$1/1e6}'; \
	done

## ---- workflows, shell, chart-testing ---------------------------------------------------------

.PHONY: lint-workflows
lint-workflows: install ## actionlint + GitHub schema on the workflows, shellcheck on scripts and run: blocks
	actionlint .github/workflows/*.yaml
	$(UV_RUN) check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yaml
	$(UV_RUN) check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(UV_RUN) python -m tests.workflows.steps

.PHONY: test-workflows
test-workflows: install ## Workflow rules, chart version bumps, e2e helpers (load generator, checks)
	$(PYTEST) tests/workflows tests/e2e -q

.PHONY: ct-lint
ct-lint: ## chart-testing lint with the version-increment check against main (CI; needs ct)
	ct lint --config ct.yaml

## ---- charts ----------------------------------------------------------------------------------
CHARTS := charts/meatyapis charts/monitoring

.PHONY: chart-tools
chart-tools:
	@test -x .tools/bin/helm4 && test -x .tools/bin/checkov && test -x .tools/bin/kubectl \
		&& test -d .tools/node_modules/@kubernetes-models/external-secrets \
		|| bash scripts/install-tools.sh

.PHONY: charts
charts: install chart-tools ## Chart tests: render, Helm 3/4 lint, strict schemas, checkov, generated docs, upgrade safety
	$(PYTEST) tests/charts -m charts -q

.PHONY: chart-deps
chart-deps: ## Package each chart's file:// dependency (charts/meatyapis-common) into its charts/ (git-ignored)
	for chart in $(CHARTS); do helm dependency build $$chart --skip-refresh; done

.PHONY: charts-docs
charts-docs: ## Regenerate each chart's README parameters and values.schema.json from values.yaml
	$(UV_RUN) python scripts/chart_docs.py $(CHARTS)

RENDER_DIR ?= .run/chart-renders
.PHONY: charts-render
charts-render: install ## Render every chart scenario (defaults, ci/*.yaml) with Helm 3 and 4 into RENDER_DIR
	$(UV_RUN) python -m tests.charts.renders $(RENDER_DIR)

.PHONY: charts-render-compare
charts-render-compare: install ## Compare the renders in RENDER_DIR with those in BASE: bytes, then objects field by field
	@test -n "$(BASE)" || { echo "BASE=<folder of make charts-render> is required" >&2; exit 2; }
	$(UV_RUN) python -m tests.charts.renders --compare $(BASE) $(RENDER_DIR)

## ---- GitOps: environments, promotion ----------------------------------------------------
# deploy/environments/<env>/ as Argo CD (deploy/argocd) and Flux (deploy/flux) deploy them.
ENV ?= production
FROM ?= staging
REF ?= origin/main

.PHONY: environments
environments: install chart-tools ## Render every environment (Helm 3 and 4) into build/environments/
	$(UV_RUN) python -m scripts.gitops.environments render

.PHONY: gitops-diff
gitops-diff: install chart-tools ## The manifests merging this would change in each environment (REF=origin/main)
	$(UV_RUN) python -m scripts.gitops.environments diff --base $(REF)

.PHONY: promote
promote: install ## Copy FROM's pins (chart versions, image digests) to ENV: make promote ENV=production
	$(UV_RUN) python -m scripts.gitops.promote $(ENV) --from $(FROM)

.PHONY: test-gitops
test-gitops: install chart-tools ## Environments (render, schemas, checkov), Argo CD and Flux objects, promotion
	$(PYTEST) tests/gitops -q

## ---- monitoring: rules, dashboards, live Prometheus ----------------------------------------

.PHONY: rules
rules: install ## Regenerate prometheus/rules/ (prometheus/generate.py) and copy it into both charts
	$(UV_RUN) python -m prometheus.generate

.PHONY: dashboards
dashboards: install ## Regenerate grafana/dashboards/*.json (grafana/generate.py) and copy them into both charts
	$(UV_RUN) python -m grafana.generate

.PHONY: compose-prometheus
compose-prometheus: install ## Regenerate compose/prometheus.yml from the monitoring chart (prometheus/local.py)
	$(UV_RUN) python -m prometheus.local --compose

.PHONY: test-monitoring
test-monitoring: install ## promtool check and unit tests of the rules; dashboards regenerated and checked
	$(PYTEST) tests/monitoring -q -m "not integration"

.PHONY: test-monitoring-live
test-monitoring-live: install ## Both services + Prometheus 2 and 3 configured by charts/monitoring: healthy, then errors
	$(PYTEST) tests/monitoring -q -m integration

## ---- benchmarks and reliability ------------------------------------------------------------
# Both start real servers on 127.0.0.1 and drive them with wrk; see bench/run.py and
# tests/reliability/. Scenario figures are printed as lines starting with "FIGURES"; set
# RELIABILITY_FIGURES=path.jsonl to collect them for comparison across versions.

.PHONY: bench
bench: install ## Benchmarks (wrk, about 12 min): overhead, serving modes, scrapes, start-up -> bench/results.md
	$(UV_RUN) python -m bench.run

.PHONY: reliability
reliability: install ## The whole reliability suite: schemathesis live, restarts, outages, overload, floods
	$(PYTEST) tests/reliability -m integration -q -s

.PHONY: test-reliability
test-reliability: install ## The reliability scenarios that fit make test's budget (not marked slow)
	$(PYTEST) tests/reliability -m "integration and not slow" -q -s
