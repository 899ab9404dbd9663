# The two front doors: `make demo` and `make test`. Everything else is a helper.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit bench screenshot clean

$(STAMP): pyproject.toml
	scripts/system-deps.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/towncc demo

test: $(STAMP)
	scripts/system-deps.sh test
	$(MAKE) lint
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit

bench: $(STAMP)
	scripts/system-deps.sh test
	$(PY) -m bench.e2e_latency

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
