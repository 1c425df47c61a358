"""Differential harness for AutoGraph tests: the same Python run eagerly
(tf.config.run_functions_eagerly(True)) and as a tf.function, compared leaf by leaf."""
import autograph_jit as tf

from .. import _compare


def eager(fn, *args, **kwargs):
    tf.config.run_functions_eagerly(True)
    try:
        return tf.function(fn)(*args, **kwargs)
    finally:
        tf.config.run_functions_eagerly(False)


def assert_same(got, want, rtol=1e-6):
    """tests/_compare.assert_same on values only: the eager run may give Python numbers where
    the traced one gives tensors."""
    _compare.assert_same(got, want, rtol=rtol, check_dtype=False)


def check(fn, *args, **kwargs):
    """Run fn eagerly and as a tf.function on args; assert equal results; return the
    tf.function (for tracing counts and graphs)."""
    expected = eager(fn, *args, **kwargs)
    traced = tf.function(fn)
    assert_same(traced(*args, **kwargs), expected)
    return traced


def check_all(fn, arg_lists):
    """check() for each argument tuple with one tf.function; returns it."""
    traced = tf.function(fn)
    for args in arg_lists:
        assert_same(traced(*args), eager(fn, *args))
    return traced


def ops_in(graph):
    """Names of the ops in `graph` and all its regions."""
    out = []
    for node in graph.nodes:
        out.append(node.op.name)
        for g in node.attrs.values():
            if hasattr(g, "nodes") and hasattr(g, "params"):
                out.extend(ops_in(g))
    return out


def check_backends(fn, *args, **kwargs):
    """check() on the default (native) backend and on backend="eager" (the optimized graph on
    the interpreter); returns the default-backend tf.function."""
    expected = eager(fn, *args, **kwargs)
    assert_same(tf.function(fn, backend="eager")(*args, **kwargs), expected)
    traced = tf.function(fn)
    assert_same(traced(*args, **kwargs), expected)
    return traced
