# The two commands of README: `make run` sets up and runs the main job on
# this repository's own contract; `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GO ?= go
PYTHON ?= python3
VENV := .venv
BIN := bin/protoctl
export PROTOCTL_TEST_CACHE ?= $(CURDIR)/.cache/protoctl-test

.PHONY: run test build venv go-test fuzz py-test lint check-gen conformance clean

build:
	$(GO) build -o $(BIN) ./cmd/protoctl

# The main job: generate Go and Python code from proto/ with the pinned
# generators (installed on first use), then prove nothing drifted.
run: build
	./$(BIN) gen
	./$(BIN) gen --check
	./$(BIN) conformance

# The Python test environment, from pinned, hashed requirements.
$(VENV)/.installed: python/requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r python/requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

test: build venv lint go-test fuzz check-gen py-test conformance

lint:
	$(GO) vet ./...
	$(VENV)/bin/ruff check python codegen/shim
	$(VENV)/bin/ruff format --check python codegen/shim

go-test:
	$(GO) test -race -count=1 ./...

# Short fuzzing of the readers of untrusted input (images, descriptor pairs).
fuzz:
	$(GO) test ./input -run '^$$' -fuzz '^FuzzReadImage$$' -fuzztime 10s
	$(GO) test ./compat -run '^$$' -fuzz '^FuzzCheck$$' -fuzztime 10s

# Go and Python runtimes agree on every message of the contract.
conformance: build
	./$(BIN) conformance

# CI drift check: committed generated code must match the contract.
check-gen: build
	./$(BIN) gen --check

py-test: venv
	cd python && PYTHONPATH=src ../$(VENV)/bin/python -m pytest -q
	cd python && ../$(VENV)/bin/mypy src/contractpb src/protoctl_conformance tests

clean:
	rm -rf $(VENV) bin .cache
