# AIRM-KG. `make serve` and `make test` do all setup on a fresh machine.
PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
KG      := $(BIN)/kg
STAMP   := $(VENV)/.installed
SOURCES := $(shell find ontology shapes data -name '*.ttl' -not -path '*/sources/*' 2>/dev/null)
RELEASE := build/current/manifest.json

.PHONY: help setup java serve build test check fmt generate clean

help:
	@echo "make serve     set up, build the graph if needed, run the service on http://127.0.0.1:8000"
	@echo "make test      set up and run the tests"
	@echo "make build     (re)build the graph release into build/"
	@echo "make generate  regenerate ontology/vocab/ and data/ from data/sources/"
	@echo "make fmt       write committed Turtle in canonical formatting"
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

test: setup
	$(BIN)/python -m pytest

check: setup
	$(KG) fmt --check
	$(KG) validate

fmt: $(STAMP)
	$(KG) fmt

generate: $(STAMP)
	$(KG) generate
	$(KG) fmt

clean:
	rm -rf build $(VENV)
