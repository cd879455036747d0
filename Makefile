PYTHON ?= python3
VENV := .venv
# Some shells export PYTHONDONTWRITEBYTECODE; then every process (each CLI test, each
# xdist worker) recompiles Textual and the project from source. Compile once instead.
unexport PYTHONDONTWRITEBYTECODE
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench fuzz check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/vramtui $(ARGS)

# pytest, not `python -m pytest`: the latter puts the checkout on sys.path, where core/ and
# catalog/ would import under their folder names instead of as vramtui.core and vramtui.catalog.
test: $(STAMP)
	$(BIN)/pytest -n 2 --dist worksteal

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

fuzz: $(STAMP)
	VRAMTUI_FUZZ_EXAMPLES=2000 $(BIN)/pytest -n 2 --dist worksteal -m fuzz

check: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	$(BIN)/ruff check vramtui core catalog tui scripts tests
	$(BIN)/python scripts/typecheck.py
	$(BIN)/pytest -n 2 --dist worksteal

clean:
	rm -rf $(VENV) build *.egg-info
