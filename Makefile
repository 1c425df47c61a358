# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test soak install clean examples

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m autograph_jit.demo

test: $(STAMP)
	$(PY) -m pytest -n 2 -m "not soak" tests

soak: $(STAMP)
	$(PY) -m pytest -n 2 -m soak tests

examples: $(STAMP)
	$(PY) ../shared/examples/check.py -j 2

clean:
	rm -rf $(VENV) build *.egg-info
