# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test soak install clean examples wheel-smoke gpu-check-bundle gpu-check graphviz docs

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

# Execute every notebook in notebooks/ top to bottom and store its outputs (what GitHub shows).
.PHONY: notebooks
notebooks: $(STAMP)
	$(PY) notebooks/execute.py --write

clean:
	rm -rf $(VENV) build *.egg-info

# The GPU device check (benchmarks/gpu_check.py) runs on a machine with no network and no
# astunparse: carry build/gpu-check/ there. This builds the project wheel and fetches the
# astunparse wheel (and its six, wheel) into it; see benchmarks/README.md "GPU device check".
GPU_BUNDLE := build/gpu-check/wheels
gpu-check-bundle: $(STAMP)
	mkdir -p $(GPU_BUNDLE)
	rm -f $(GPU_BUNDLE)/autograph_jit-*.whl
	$(PY) -m pip wheel . --no-deps --no-build-isolation -q -w $(GPU_BUNDLE)
	test -n "$$(ls $(GPU_BUNDLE)/astunparse-*.whl 2>/dev/null)" || \
		$(PY) -m pip download astunparse six wheel --no-deps --only-binary=:all: -q -d $(GPU_BUNDLE)
	@ls $(GPU_BUNDLE)

# On the GPU machine, in the carried checkout: install from the bundle (where pip may: the
# script otherwise imports astunparse from the carried wheel), run the check (< 5 min).
gpu-check:
	python3 -m pip install -q --no-index --find-links $(GPU_BUNDLE) autograph_jit || \
		echo "(pip did not install: gpu_check.py uses the carried wheels)"
	AUTOGRAPH_JIT_GPU=cuda python3 benchmarks/gpu_check.py
