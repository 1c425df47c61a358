"""The examples in public docstrings run and print what they say (doctest), with
`import autograph_jit as tf` and `import numpy as np` in scope. Modules are listed here as
their docstrings gain examples; `test_every_public_function_has_a_docstring` keeps the
public namespaces documented (`help(tf.reshape)`, a notebook's Shift-Tab)."""
import doctest
import importlib

import numpy as np
import pytest

import autograph_jit as tf

MODULES = [
    "autograph_jit.ops.linalg_ops",
    "autograph_jit.ops.einsum_ops",
    "autograph_jit.linalg",
    "autograph_jit.custom_gradient",
    "autograph_jit.py_function",
    "autograph_jit.eager_context",
    "autograph_jit.config",
    "autograph_jit.math",
    "autograph_jit.ops.array_ops",
    "autograph_jit.ops.conv_ops",
    "autograph_jit.ops.gather_ops",
    "autograph_jit.ops.math_ops",
    "autograph_jit.ops.nn_ops",
    "autograph_jit.ops.random_ops",
    "autograph_jit.ops.tiling",
    "autograph_jit.tensor",
    "autograph_jit.tensor_shape",
    "autograph_jit.autodiff.tape",
    "autograph_jit.tracing.concrete",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run_as_shown(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    tests = [t for t in finder.find(module, name, globs={"tf": tf, "np": np}) if t.examples]
    assert tests, f"{name} has no docstring examples"
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def _public():
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tools.docgen import public
    return public


GAPS = __file__.replace("test_docstring_examples.py", "docstring_gaps.txt")


def _has_example(obj):
    """A docstring example doctest runs: at least one `>>>` example not marked +SKIP."""
    tests = doctest.DocTestFinder(exclude_empty=True, recurse=False).find(
        obj, getattr(obj, "__name__", "x"), globs={})
    return any(not ex.options.get(doctest.SKIP) for t in tests for ex in t.examples)


def test_every_public_function_has_a_docstring():
    """Every public function and class of every namespace (tools/docgen/public.py lists them:
    tf.*, tf.math, tf.nn, ..., tf.keras.*, tf.data, tf.train, tf.summary, tf.saved_model,
    tf.io) has a docstring."""
    import inspect
    missing = [name for name, obj in _public().public_objects()
               if not (inspect.getdoc(obj) or "").strip()]
    assert not missing, f"public names without a docstring: {missing}"


def test_every_public_name_has_an_example_or_is_a_listed_gap():
    """A public name without a doctested example must be listed in tests/docstring_gaps.txt (the
    names still to write one for); a listed name that has one, or no longer exists, must leave
    the list. So a new public name without an example fails here, and the list only shrinks."""
    with open(GAPS) as f:
        listed = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    objects = _public().public_objects()
    without = {name for name, obj in objects if not _has_example(obj)}
    new = sorted(without - listed)
    assert not new, f"public names without a docstring example (write one): {new}"
    stale = sorted(listed - without)
    assert not stale, (f"remove these from tests/docstring_gaps.txt (they have an example now, "
                       f"or are gone): {stale}")


def _namespace_ids():
    return [path or "tf" for path, _ in _public().NAMESPACES]


@pytest.mark.parametrize("path", _namespace_ids())
def test_public_docstring_examples_run_as_shown(path):
    """The examples of every public function and class (and their methods) of one namespace."""
    public = _public()
    path = "" if path == "tf" else path
    seen = set()
    members = public.members(path)
    if path == "keras.datasets":
        members = [m for sub in public.submodules(path) for m in public.members(sub)]
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    prefix = "tf." + path if path else "tf"
    for name, obj in members:
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        for test in finder.find(obj, f"{prefix}.{name}", globs={"tf": tf, "np": np}):
            if test.examples:
                runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {prefix}"
