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


NAMESPACES = ["", "math", "nn", "linalg", "random", "config", "autograph", "debugging"]


def test_every_public_function_has_a_docstring():
    import types
    missing = []
    for ns in NAMESPACES:
        module = tf if not ns else getattr(tf, ns)
        for name in dir(module):
            obj = getattr(module, name)
            if name.startswith("_") or not isinstance(obj, (types.FunctionType, type)):
                continue
            if not (obj.__doc__ or "").strip():
                missing.append(f"tf.{ns + '.' if ns else ''}{name}")
    assert not missing, f"public names without a docstring: {missing}"
