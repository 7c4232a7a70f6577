# Everything runs from a virtual environment inside the repo, so a fresh
# machine needs nothing but Python 3 with venv and pip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SPEC   ?= specs/seed_conv_pool.yaml

.PHONY: run install dev test fuzz snapshots docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

run: install
	$(BIN)/layercalc summary $(SPEC)

test: dev
	$(BIN)/python -m pytest

# Property-based fuzzing (tests/test_fuzz.py): 30,000 random inputs instead of the 480 fixed ones of `make test`.
fuzz: dev
	LAYERCALC_FUZZ=fuzz $(BIN)/python -m pytest tests/test_fuzz.py --hypothesis-show-statistics

# Regenerate the rendered-output snapshots after an intended change.
snapshots: dev
	$(BIN)/python -m pytest tests/test_snapshots.py --snapshot-update

# Regenerate docs/layers.md, the layer reference, from the registry (after adding or changing a layer type).
docs: install
	$(BIN)/python -c 'from calc.render.layers import layer_reference; print(layer_reference(), end="")' > docs/layers.md
	$(BIN)/python -c 'from calc.render.layers import layer_reference; print(layer_reference("torch"), end="")' > docs/torch_layers.md

# Speed and memory, measured on whole processes, with issue 17's targets (see bench/run.py); BIG=1 adds the
# 1,000,000-layer chain.
bench: install
	$(BIN)/python bench/run.py $(if $(BIG),--big)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
