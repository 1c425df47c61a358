"""Loop-invariant code motion out of while_loop regions."""
import numpy as np

import autograph_jit as tf
from autograph_jit.passes import licm

from .helpers import assert_same_results, spec, trace


def _loop(after):
    return next(n for n in after.nodes if n.op.name == "while_loop")


def _region_ops(node, name):
    return [n.op.name for n in node.attrs[name].nodes if n.op.name != "constant"]


def test_invariant_computation_on_a_capture_moves_before_the_loop():
    def f(x, w):
        def body(i, acc):
            return i + 1, acc + tf.exp(w) * 2.0
        return tf.while_loop(lambda i, acc: i < 3, body, [tf.constant(0), x])[1]
    g = trace(f, spec(2), spec(2))
    assert _region_ops(_loop(g), "body") == ["add", "exp", "multiply", "add"]
    after = licm.run(g)
    loop = _loop(after)
    assert _region_ops(loop, "body") == ["add", "add"]
    before_loop = [n.op.name for n in after.nodes[:after.nodes.index(loop)]
                   if n.op.name != "constant"]
    assert before_loop == ["exp", "multiply"]
    x, w = np.array([1.0, 2.0], np.float32), np.array([0.5, -1.0], np.float32)
    assert_same_results(g, after, x, w)


def test_a_loop_variable_the_body_passes_through_counts_as_invariant():
    def f(x, s):
        def body(i, acc, s):
            return i + 1, acc + tf.sqrt(s), s
        return tf.while_loop(lambda i, acc, s: i < 4, body, [tf.constant(0), x, s])[1]
    g = trace(f, spec(3), spec(3))
    after = licm.run(g)
    assert "sqrt" not in _region_ops(_loop(after), "body")
    x, s = np.ones(3, np.float32), np.array([1.0, 4.0, 9.0], np.float32)
    assert_same_results(g, after, x, s)


def test_values_that_change_every_iteration_stay_in_the_loop():
    def f(x):
        return tf.while_loop(lambda v: tf.reduce_sum(v) < 50.0, lambda v: (v * 2.0,), [x])[0]
    g = trace(f, spec(2))
    after = licm.run(g)
    assert _region_ops(_loop(after), "body") == ["multiply"]


def test_integer_division_is_not_hoisted_because_a_zero_trip_loop_must_not_raise():
    def f(n, d):
        def body(i, acc):
            return i + 1, acc + n // d
        return tf.while_loop(lambda i, acc: i < n, body, [tf.constant(0), tf.constant(0)])[1]
    g = trace(f, spec(dtype=tf.int32), spec(dtype=tf.int32))
    after = licm.run(g)
    assert "floordiv" in _region_ops(_loop(after), "body")
    assert_same_results(g, after, np.int32(0), np.int32(0))


def test_invariants_climb_out_of_nested_loops():
    def f(x, w):
        def inner(j, a):
            return j + 1, a + tf.exp(w)

        def outer(i, acc):
            _, acc = tf.while_loop(lambda j, a: j < 2, inner, [tf.constant(0), acc])
            return i + 1, acc
        return tf.while_loop(lambda i, acc: i < 2, outer, [tf.constant(0), x])[1]
    g = trace(f, spec(2), spec(2))
    after = licm.run(g)
    before_loop = [n.op.name for n in after.nodes[:after.nodes.index(_loop(after))]]
    assert "exp" in before_loop
    x, w = np.array([1.0, 2.0], np.float32), np.array([0.0, 1.0], np.float32)
    assert_same_results(g, after, x, w)


def test_invariant_work_in_the_loop_condition_moves_out_too():
    def f(x, w):
        def cond(i, acc):
            return i < tf.cast(tf.reduce_sum(w), tf.int32)
        return tf.while_loop(cond, lambda i, acc: (i + 1, acc * 2.0), [tf.constant(0), x])[1]
    g = trace(f, spec(2), spec(3))
    after = licm.run(g)
    loop = _loop(after)
    assert _region_ops(loop, "cond_graph") == ["less"]
    before_loop = [n.op.name for n in after.nodes[:after.nodes.index(loop)]
                   if n.op.name != "constant"]
    assert before_loop == ["reduce_sum", "cast"]
    x, w = np.array([1.0, 2.0], np.float32), np.array([1.0, 1.5, 2.0], np.float32)
    assert_same_results(g, after, x, w)
