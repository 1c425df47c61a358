"""DCE: dead pure nodes go, every effect stays; unused reads, captures and cond outputs go."""
import io

import numpy as np

import autograph_jit as tf
from autograph_jit.passes import dce

from .helpers import assert_same_results, ops, run, spec, trace


def test_dead_pure_nodes_are_removed():
    def f(x):
        unused = tf.exp(x) * 3.0  # noqa: F841
        return x + 1.0
    g = trace(f, spec(2))
    assert ops(dce.run(g)) == ["add"]


def test_effects_whose_values_are_unused_stay():
    out = io.StringIO()
    v = tf.Variable(0.0)

    def f(x):
        tf.print(x, output_stream=out)
        v.assign(x)
        tf.random.normal([2], seed=3)  # its draw advances the stream: later draws depend on it
        return tf.constant(1.0)
    after = dce.run(trace(f, spec()))
    assert ops(after) == ["print", "assign_variable", "random_normal"]
    run(after, np.float32(4.0))
    assert out.getvalue() == "4\n" and v.numpy() == 4.0


def test_a_read_nobody_uses_is_removed_and_the_token_passes_through():
    v = tf.Variable(3.0)

    def f(x):
        v.read_value()
        v.assign(x)
        return x
    after = dce.run(trace(f, spec()))
    assert ops(after) == ["assign_variable"]
    run(after, np.float32(7.0))
    assert v.numpy() == 7.0


def test_unused_cond_outputs_and_captures_are_dropped_from_both_branches():
    def f(x, y, p):
        a, b = tf.cond(p, lambda: (x * 2.0, tf.exp(y)), lambda: (x, y))
        return a
    g = trace(f, spec(2), spec(2), spec(dtype=tf.bool))
    after = dce.run(g)
    cond = next(n for n in after.nodes if n.op.name == "cond")
    assert len(cond.outputs) == 1 and len(cond.inputs) == 2  # pred, x
    for branch in cond.regions.values():
        assert len(branch.params) == 1 and len(branch.results) == 1
    x, y = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)
    assert_same_results(g, after, x, y, np.array(True))
    assert_same_results(g, after, x, y, np.array(False))


def test_dead_code_inside_a_loop_body_is_removed():
    def f(x):
        def body(v):
            tf.exp(v)  # dead
            return (v + 1.0,)
        return tf.while_loop(lambda v: tf.reduce_sum(v) < 10.0, body, [x])[0]
    g = trace(f, spec(2))
    after = dce.run(g)
    body = next(n for n in after.nodes if n.op.name == "while_loop").attrs["body"]
    assert [n.op.name for n in body.nodes if n.op.name != "constant"] == ["add"]
    assert_same_results(g, after, np.array([1.0, 2.0], np.float32))


def test_a_pure_cond_whose_outputs_are_unused_disappears():
    def f(x, p):
        tf.cond(p, lambda: x + 1.0, lambda: x - 1.0)
        return x
    after = dce.run(trace(f, spec(2), spec(dtype=tf.bool)))
    assert ops(after) == []
