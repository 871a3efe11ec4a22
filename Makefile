# The README gives two commands: `make demo` and `make test`. Both install what they need
# (scripts/bootstrap.sh) and reuse the caches under $(TST_CACHE) on the next run.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TST_CACHE ?= $(HOME)/.cache/transactions_st
ENV ?= local
export TST_CACHE
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/collections:$(TST_CACHE)/collections
PY := $(CURDIR)/.venv/bin/python

.PHONY: help deps deps-docker demo test test-live lab lab-stop lint sanity bench clean

help:
	@echo "make demo   - ansible-playbook site.yml on inventories/$(ENV) (ENV=<inventory> to pick one)"
	@echo "make test   - every test suite against the local lab, with a summary"
	@echo "make test-live - the integration tests and site.yml against a real SingleStore (SINGLESTORE_HOST...) and Grafana (GRAFANA_URL)"
	@echo "make lab    - start the lab (Kafka, MariaDB, SingleStore double, moto, Helios stand-in, Docker) and print its addresses"
	@echo "make lab-stop, make lint, make bench"

deps:
	@scripts/bootstrap.sh

deps-docker:
	@BOOTSTRAP_DOCKER=1 scripts/bootstrap.sh

demo: deps
	@scripts/demo.sh "$(ENV)"

test: deps-docker
	@$(PY) scripts/run_tests.py

# Targets come from the environment (docs/development.md, "Live suite"). Without SINGLESTORE_HOST and
# GRAFANA_URL nothing is installed or started: the runner (stdlib only on that path) says what to set.
# site.yml needs the Docker engine for the producer's stack-host container, hence deps-docker.
test-live: $(if $(SINGLESTORE_HOST),deps-docker,$(if $(GRAFANA_URL),deps))
	@$(if $(SINGLESTORE_HOST)$(GRAFANA_URL),$(PY),python3) scripts/run_live.py

lab: deps-docker
	@$(PY) -m tests.lab start
	@$(PY) -m tests.lab env

lab-stop:
	@if [ -x $(PY) ]; then $(PY) -m tests.lab stop; fi

lint: deps
	@$(PY) scripts/run_tests.py --suite lint --suite sanity --no-lab

bench: deps
	@$(PY) -m tests.bench

clean: lab-stop
	rm -rf .lab tests/output
