# The two commands of README: `make run` sets up and runs the main job on
# this repository's own contract; `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GO ?= go
PYTHON ?= python3
VENV := .venv
BIN := bin/protoctl
export PROTOCTL_TEST_CACHE ?= $(CURDIR)/.cache/protoctl-test

.PHONY: run test build venv go-test fuzz py-test lint check-gen conformance clean serve interop check-interop

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

test: build venv lint go-test fuzz check-gen check-interop py-test conformance interop

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
	cd python && ../$(VENV)/bin/mypy src/contractpb src/protoctl_conformance src/protoctl_server tests

# The reference Python server (python/src/protoctl_server) on 127.0.0.1:50051,
# plaintext (a loopback demo; docs/security.md has the TLS and JWT flags),
# with metrics on :9464; override with SERVE_ARGS="--workers 4 ...".
SERVE_ARGS ?= --plaintext --listen 127.0.0.1:50051 --metrics-port 9464
serve: venv
	PYTHONPATH=python/src $(VENV)/bin/python -m protoctl_server $(SERVE_ARGS)

# grpc-go's interop client (pinned in tools/go.mod) against the server's
# grpc.testing.TestService, both server modes (also part of go-test).
interop:
	$(GO) test -count=1 ./internal/interop/

# The generated Python of the interop schema (python/src/interoppb) must
# match what grpc-go registers; `go run ./internal/interopschema` rewrites it.
check-interop:
	$(GO) run ./internal/interopschema -check

clean:
	rm -rf $(VENV) bin .cache
