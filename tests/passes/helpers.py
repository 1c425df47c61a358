"""Shared tools for the pass tests: trace a function to a graph, run graphs on the interpreter,
count ops."""
import numpy as np

import autograph_jit as tf
from autograph_jit.runtime.interpreter import run_graph


def trace(fn, *specs):
    """The traced graph of `fn` for TensorSpecs / example tensors `specs`."""
    return tf.function(fn, autograph=False).get_concrete_function(*specs).graph


def spec(*shape, dtype=tf.float32):
    return tf.TensorSpec(list(shape), dtype)


def run(graph, *arrays):
    """Run `graph` on NumPy arrays (the token, if any, is added) -> list of data results."""
    args = [np.asarray(a) for a in arrays]
    if graph.has_effects:
        args.append(None)
    out = run_graph(graph, args)
    return [o for o, r in zip(out, graph.results) if not r.is_token]


def ops(graph):
    """Op names of the graph's top-level nodes, constants left out."""
    return [n.op.name for n in graph.nodes if n.op.name != "constant"]


def assert_same_results(before, after, *arrays, exact=True):
    """Both graphs give the same results (RNG streams restart before each run)."""
    from autograph_jit.runtime import rng
    rng.reset_streams()
    a = run(before, *arrays)
    rng.reset_streams()
    b = run(after, *arrays)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        if exact:
            np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
