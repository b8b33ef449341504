# Two commands do everything on a fresh machine that has python3 and make:
#   make demo   chat with the bot in this terminal, on demo data (SQLite)
#   make test   lint, type-check, check the architecture, run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck architecture pytest i18n bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(BIN)/candibot demo $(ARGS)

test: lint typecheck architecture pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

architecture: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadgroup $(PYTEST_ARGS)

i18n: $(STAMP)
	$(BIN)/python tools/i18n.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache

# Benchmarks (docs/BENCHMARKS.md); not part of `make test`. SCALE=small|medium|full.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --scale $(or $(SCALE),small)
