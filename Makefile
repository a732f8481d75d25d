# AIRM-KG. `make serve` and `make test` do all setup on a fresh machine.
PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
KG      := $(BIN)/kg
STAMP   := $(VENV)/.installed
SOURCES := $(shell find ontology shapes data -name '*.ttl' -not -path '*/sources/*' 2>/dev/null)
RELEASE := build/current/manifest.json

.PHONY: help setup java serve build test check fmt generate bench clean

help:
	@echo "make serve     set up, build the graph if needed, run the service on http://127.0.0.1:8000"
	@echo "make test      set up, run make check, then the tests"
	@echo "make check     lint (ruff), formatting, types (mypy), canonical Turtle, SHACL"
	@echo "make build     (re)build the graph release into build/"
	@echo "make generate  regenerate ontology/vocab/ and data/ from data/sources/"
	@echo "make fmt       write committed Turtle in canonical formatting"
	@echo "make bench     benchmark builds and queries against Oxigraph and rdflib-endpoint (bench/README.md)"
	@echo "make clean     remove build/ and the virtual environment"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# HermiT (owlready2's reasoner) needs Java: install a headless JRE where it is missing.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Java not found: installing a headless JRE (default-jre-headless)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless >/dev/null; }
	@java -version 2>&1 | head -1

setup: $(STAMP) java

$(RELEASE): $(SOURCES) $(STAMP)
	$(MAKE) --no-print-directory java
	$(KG) build

build: setup
	$(KG) build

serve: setup $(RELEASE)
	$(KG) serve

test: check
	$(BIN)/python -m pytest

# Lint, formatting and types of the code, canonical formatting and validity of the data.
check: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(KG) fmt --check
	$(KG) validate

fmt: $(STAMP)
	$(KG) fmt

generate: $(STAMP)
	$(KG) generate
	$(KG) fmt

# The benchmark's peers live in their own venv (bench/.venv); knobs: BENCH_SIZES, BENCH_FULL=1, ...
# (bench/README.md). Results: bench/results/<timestamp>.json.
BENCH_VENV  := bench/.venv
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): bench/requirements-peers.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements-peers.txt
	touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP)
	$(BIN)/python -m bench $(if $(SIZES),--sizes $(SIZES))

clean:
	rm -rf build $(VENV)
