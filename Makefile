# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test soak install clean examples wheel-smoke

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m autograph_jit.demo

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 -m "not soak" tests

soak: $(STAMP)
	$(PY) -m pytest -n 2 -m soak tests

# Build the wheel, install it (no deps: the venv's own are reused) into a fresh venv in a temporary
# folder outside the checkout, and run a small tf.function there.
wheel-smoke: $(STAMP)
	$(PY) tests/reliability/test_install_wheel.py

examples: $(STAMP)
	$(PY) ../shared/examples/check.py -j 2

# Execute every notebook in notebooks/ top to bottom and store its outputs (what GitHub shows).
.PHONY: notebooks
notebooks: $(STAMP)
	$(PY) notebooks/execute.py --write

clean:
	rm -rf $(VENV) build *.egg-info
