# The README's two commands: `make demo` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench mutation clean reference

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# The main job on the embedded defaults: no API key, no network.
demo: $(STAMP)
	@echo "== memory list: the example memories and their ages"
	@MEMDIR_OFFLINE=1 $(BIN)/memory --dir examples/memories list
	@echo
	@echo "== memory recall: the few memories that matter for one question (offline selector)"
	@MEMDIR_OFFLINE=1 $(BIN)/memory --dir examples/memories recall --explain \
		--project examples/demo-project "how is the late fee on an overdue invoice computed?"
	@echo
	@echo "== memory lint: the store's health, with stale references checked against the project"
	@MEMDIR_OFFLINE=1 $(BIN)/memory --dir examples/memories lint --project examples/demo-project

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Run by hand; the figures go in BENCHMARKS.md.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_recall_cost.py
	$(BIN)/python benchmarks/bench_recall_quality.py
	$(BIN)/python benchmarks/bench_verify.py
	$(BIN)/python benchmarks/bench_hook.py
	$(BIN)/python benchmarks/bench_daemon.py
	$(BIN)/python benchmarks/bench_team.py

# Mutation testing of the core modules (slow: tens of minutes); kill rates go in BENCHMARKS.md.
# `make mutation MODULES="store/index secrets"` runs a part.
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[mutation]'
	$(BIN)/python benchmarks/mutation.py $(MODULES)

clean:
	rm -rf $(VENV) build *.egg-info

# The README's CLI reference, written from each command's --help.
reference: $(STAMP)
	$(BIN)/python -m memdir_cli.reference README.md
