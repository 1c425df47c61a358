# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test soak install clean examples wheel-smoke graphviz docs

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m autograph_jit.demo

test: $(STAMP) graphviz
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 -m "not soak" tests

# Graphviz's `dot` program draws the graph pictures (cf.render_graph, plot_model, the docs): apt-get
# installs it where it is missing and may (CI runs as root); elsewhere install it by hand.
graphviz:
	@command -v dot >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; } || \
	  echo "make: Graphviz's dot is missing and apt-get could not install it: install graphviz by hand"

# The documentation: the generated pages (API reference from the docstrings, the pages whose code
# blocks are real output, the pictures), then the site with mkdocs into site/, offline, warnings as
# errors. tests/test_docs_build.py does the same into a temporary folder in `make test`.
docs: $(STAMP) graphviz
	$(PY) -m tools.docgen
	$(PY) -m mkdocs build --strict

soak: $(STAMP)
	$(PY) -m pytest -n 2 -m soak tests

# Build the wheel, install it (no deps: the venv's own are reused) into a fresh venv in a temporary
# folder outside the checkout, and run a small tf.function there.
wheel-smoke: $(STAMP)
	$(PY) tests/reliability/test_install_wheel.py

# The seed courses' example programs (tests/examples, vendored from the project's seed material),
# each compared with the output real TensorFlow printed for it.
examples: $(STAMP)
	$(PY) tests/examples/check.py -j 2

clean:
	rm -rf $(VENV) build *.egg-info
