# minimarket — the two commands are `make run` and `make test`; everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The venv is rebuilt only when the lock or the project metadata change.
LOCK_HASH := $(shell cat requirements.lock pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)
STAMP  := $(VENV)/.installed-$(LOCK_HASH)
UV_PIN := $(shell grep -E '^uv==' requirements.lock)

export DVC_NO_ANALYTICS := 1
export MLFLOW_ENABLE_TELEMETRY := false
export DO_NOT_TRACK := 1
export BENTOML_DO_NOT_TRACK := True
export OMP_THREAD_LIMIT := 1

.PHONY: help setup system-deps test-deps run test lint format bench load repro lab clean lock serve bento dashboards fuzz audit

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

system-deps:
	@ops/setup/system-deps.sh base

test-deps:
	@ops/setup/system-deps.sh base test browser ops

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "minimarket needs Python >= 3.11 (found: $$($(PYTHON) --version 2>&1)); set PYTHON=python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q "$(UV_PIN)"
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: system-deps $(STAMP) ## install system packages, the venv and the package (idempotent)

run: setup ## the platform: demo shop, API on :3000, dashboards on :8866 (Ctrl-C stops both)
	@ops/run/platform.sh

serve: setup ## only the API (minimarket serve on :3000)
	$(BIN)/minimarket serve

bento: setup ## build the service into a Bento (wheel in dist/, BENTOML_HOME=bentos/)
	rm -rf dist && $(BIN)/python -m pip wheel -q --no-deps --no-build-isolation -w dist .
	BENTOML_HOME=$(CURDIR)/bentos $(BIN)/python -m minimarket.service.bento_models
	BENTOML_HOME=$(CURDIR)/bentos $(BIN)/bentoml build

test: test-deps $(STAMP) ## run the whole test suite
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; exit $$rc

lint: $(STAMP) ## ruff + mypy + import contracts (layers, no cycles)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

repro: setup ## run the training pipeline (DVC stages executing the notebooks; offline)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc repro $(DVC_ARGS)

# Jupyter refuses to start as root without --allow-root; root is a supported way to run everything here.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup ## JupyterLab for data scientists (notebooks import the package; LAB_ARGS="--port=8890" to add options)
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --no-browser $(ALLOW_ROOT) $(LAB_ARGS)

dashboards: setup ## the managers' dashboards (Voila) on http://127.0.0.1:8866/ (seed a demo: minimarket demo seed)
	$(BIN)/minimarket dashboards serve --port 8866

bench: setup ## every benchmark: reports/benchmarks/<name>.json + SUMMARY.md, regression check (QUICK=1: < 5 min)
	$(BIN)/python -m minimarket.bench $(if $(QUICK),--quick) $(BENCH_ARGS)

load: setup ## the load scenarios in full (Locust on a real server: 10 min mixed, 5 min spike, batches)
	@mkdir -p reports/benchmarks
	$(BIN)/python benchmarks/load.py --full > reports/benchmarks/load_full.json; rc=$$?; \
	  cat reports/benchmarks/load_full.json; exit $$rc

fuzz: $(STAMP) ## longer fuzz runs, random seeds: the parsers (FUZZ_EXAMPLES per target) and the API (API_FUZZ_EXAMPLES)
	MINIMARKET_FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-5000} MINIMARKET_FUZZ_RANDOM=1 \
	  $(BIN)/python -m pytest tests/reliability/test_fuzz_parsers.py -q -s
	MINIMARKET_API_FUZZ_EXAMPLES=$${API_FUZZ_EXAMPLES:-200} MINIMARKET_FUZZ_RANDOM=1 \
	  $(BIN)/python -m pytest tests/integration/service/test_openapi_fuzz.py -q -s --timeout=0

audit: $(STAMP) ## pip-audit over requirements.lock (needs PyPI's vulnerability data; fails if a package went unchecked)
	$(BIN)/pip-audit -r requirements.lock --no-deps --disable-pip --strict --progress-spinner off

lock: ## recompile requirements.lock from pyproject.toml (keeps existing pins; names and versions only)
	$(BIN)/uv pip compile pyproject.toml --extra dev --no-header --no-annotate --python-version 3.11 -q -o requirements.lock

clean: ## remove the venv and runtime state (keeps data/raw and your var/ database unless FORCE=1)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
