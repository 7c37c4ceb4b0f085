# supportbot: `make demo` sets up and runs the main job; `make test` sets up and runs the checks.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
DEMO_QUESTIONS := "i forgot my password and the reset email never came" \
                  "how much is the team plan per seat?" \
                  "what happens when we hit the API rate limit" \
                  "can I pay with paypal?"

.PHONY: setup demo test lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0  # the CPU build; install before anything pulls torch
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

demo: setup
	$(BIN)/supportbot ingest samples/orbit-help --base-url https://help.orbit.example
	@for q in $(DEMO_QUESTIONS); do echo; echo "Q: $$q"; $(BIN)/supportbot search "$$q" -k 3; done
	@# Answers by quoting the docs (no model download); set SUPPORTBOT_GENERATOR=hub for the model.
	@for q in $(DEMO_QUESTIONS); do echo; echo "Q: $$q"; \
	  SUPPORTBOT_GENERATOR=$${SUPPORTBOT_GENERATOR:-extractive} $(BIN)/supportbot ask "$$q"; done

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/pytest
