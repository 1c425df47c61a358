"""Buffer planning: liveness-based reuse, in-place elementwise updates, values never planned."""
import numpy as np

import autograph_jit as tf
from autograph_jit.passes import buffer_plan

from .helpers import spec, trace


def _value(graph, op):
    return next(n for n in graph.nodes if n.op.name == op).outputs[0]


def test_a_chain_of_non_elementwise_ops_reuses_buffers_once_values_die():
    def f(x):
        a = tf.matmul(x, x)
        b = tf.matmul(a, a)
        c = tf.matmul(b, b)
        d = tf.matmul(c, c)
        return d
    after = buffer_plan.run(trace(f, spec(4, 4)))
    plan = after.memory_plan
    # a dies when b is made, so c takes a's buffer and d takes b's: two buffers for four values
    assert plan.num_buffers == 2
    assert plan.peak_bytes == 2 * 64 and plan.naive_bytes == 4 * 64


def test_an_elementwise_op_writes_in_place_over_an_input_that_dies_there():
    def f(x, w):
        m = tf.matmul(x, w)
        return tf.exp(m) * 2.0
    after = buffer_plan.run(trace(f, spec(3, 3), spec(3, 3)))
    plan = after.memory_plan
    m, e = _value(after, "matmul"), _value(after, "exp")
    assert plan.buffer_of[e.id] == plan.buffer_of[m.id]
    assert any(node.op.name == "exp" for node, _, _ in plan.in_place)


def test_an_input_still_needed_later_is_not_overwritten():
    def f(x, w):
        m = tf.matmul(x, w)
        return tf.exp(m) + m
    after = buffer_plan.run(trace(f, spec(3, 3), spec(3, 3)))
    plan = after.memory_plan
    m, e = _value(after, "matmul"), _value(after, "exp")
    assert plan.buffer_of[e.id] != plan.buffer_of[m.id]


def test_params_constants_variables_and_dynamic_shapes_are_not_planned():
    v = tf.Variable(np.ones(3, np.float32))

    def f(x, y):
        return x + v + tf.constant([1.0, 2.0, 3.0]), y * 2.0
    after = buffer_plan.run(trace(f, spec(3), spec(None)))
    kinds = after.memory_plan.kind
    assert kinds[after.params[0].id] == "param"
    assert kinds[_value(after, "read_variable").id] == "variable"
    assert kinds[_value(after, "constant").id] == "constant"
    assert kinds[_value(after, "multiply").id] == "dynamic"


def test_results_keep_their_buffers_to_the_end():
    def f(x, w):
        r1 = tf.matmul(x, w)
        r2 = tf.matmul(w, w)
        return r1, r2
    after = buffer_plan.run(trace(f, spec(2, 2), spec(2, 2)))
    plan = after.memory_plan
    b1, b2 = (plan.buffer_of[r.id] for r in after.results)
    assert b1 != b2


def test_views_share_their_input_buffer():
    def f(x, w):
        m = tf.matmul(x, w)
        return tf.reshape(m, [9]) * 1.5
    after = buffer_plan.run(trace(f, spec(3, 3), spec(3, 3)))
    plan = after.memory_plan
    m, r = _value(after, "matmul"), _value(after, "reshape")
    assert plan.kind[r.id] == "view" and plan.buffer_of[r.id] == plan.buffer_of[m.id]


def test_the_plan_describes_itself():
    after = buffer_plan.run(trace(lambda x: tf.matmul(x, x), spec(2, 2)))
    text = after.memory_plan.describe()
    assert text.startswith("memory plan for ") and "buf0" in text and "16 B" in text


def test_regions_get_their_own_plans():
    def f(x):
        return tf.while_loop(lambda v: tf.reduce_sum(v) < 10.0,
                             lambda v: (tf.matmul(v, v) + 1.0,), [x])[0]
    after = buffer_plan.run(trace(f, spec(2, 2)))
    loop = next(n for n in after.nodes if n.op.name == "while_loop")
    assert loop.attrs["body"].memory_plan is not None
