# cnht-match — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
NOTEBOOK_PORT ?= 8888
NOTEBOOK_ARGS ?=

.PHONY: install run demo test test-fast lint bench notebooks clean help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev extra (pinned by constraints.txt)

run: $(STAMP) ## Summarise the demo data, then serve web + API with it on http://$(HOST):$(PORT)
	$(BIN)/cnht demo
	$(BIN)/cnht serve --demo --host $(HOST) --port $(PORT)

test: $(STAMP) ## Run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## Tests without the slow, browser and PostgreSQL ones
	$(BIN)/python -m pytest -m "not slow and not browser and not postgres" $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check
	$(BIN)/ruff check features matching api tests benchmarks

bench: $(STAMP) ## Speed benchmarks (prints JSON)
	$(BIN)/python benchmarks/bench_profile.py --firms 100000
	$(BIN)/python benchmarks/bench_match.py --firms 100000 --needs 200 --json

notebooks: $(STAMP) ## Open JupyterLab on notebooks/ (http://$(HOST):$(NOTEBOOK_PORT); the tests run them headless)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --ServerApp.ip=$(HOST) --ServerApp.port=$(NOTEBOOK_PORT) $(NOTEBOOK_ARGS)

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache build *.egg-info
