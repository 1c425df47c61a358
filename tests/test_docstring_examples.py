"""The examples in public docstrings run and print what they say (doctest), with
`import autograph_jit as tf` and `import numpy as np` in scope. Modules are listed here as
their docstrings gain examples."""
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
