# Two commands for a fresh machine: `make run` and `make test` (both create .venv first).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

$(BIN)/gridbot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

.PHONY: install run sandbox test lint check bench
install: $(BIN)/gridbot

# With a token (GRIDBOT_TOKEN, or in .env) this runs the real bot; without, the sandbox.
run: install
	@if [ -n "$$GRIDBOT_TOKEN" ] || grep -qs '^GRIDBOT_TOKEN=..*' .env; then \
		$(BIN)/gridbot run; \
	else \
		echo "No GRIDBOT_TOKEN: starting the sandbox (gridbot sandbox)"; \
		$(BIN)/gridbot sandbox; \
	fi

sandbox: install
	$(BIN)/gridbot sandbox

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install lint
	$(BIN)/pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python -m bench.classify
