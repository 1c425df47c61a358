"""Property: random graphs give the same results optimized and unoptimized under the
interpreter (runtime/interpreter.py run_graph), with all passes and with random subsets."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph_jit as tf
from autograph_jit.passes.pipeline import PASS_NAMES, run_pipeline
from autograph_jit.runtime.interpreter import run_graph

UNARY = [tf.tanh, tf.sigmoid, tf.nn.relu, tf.negative, tf.abs, tf.square,
         lambda a: a * 1.0, lambda a: a + 0.0, lambda a: -(-a), tf.identity,
         lambda a: tf.transpose(tf.transpose(a)), lambda a: tf.cast(tf.cast(a, tf.float64),
                                                                    tf.float32)]
BINARY = [tf.add, tf.subtract, tf.multiply, tf.maximum, lambda a, b: tf.where(a > b, a, b)]


def _reduce(a):
    return tf.reduce_sum(a, axis=-1, keepdims=True) if a.shape.rank else a


def _loop(a, c):
    def body(i, v):
        return i + 1, v * 0.5 + tf.tanh(c) * 2.0  # tanh(c) * 2 is loop-invariant
    return tf.while_loop(lambda i, v: i < 3, body, [tf.constant(0), a])[1]


def _branch(a, b, s):
    return tf.cond(s > 0.0, lambda: a * 2.0 + b, lambda: a - b * 1.0)


def _matmul(a, w):
    return tf.matmul(a, w) if a.shape.rank == 2 and a.shape[-1] == 4 else a


STEP = st.tuples(st.sampled_from(["unary", "binary", "reduce", "loop", "cond", "matmul",
                                  "const"]),
                 st.integers(0, 11), st.integers(0, 50), st.integers(0, 50))


def _program(steps):
    def f(x, r, s, w):
        values = [x, r, s]
        for kind, k, i, j in steps:
            a, b = values[i % len(values)], values[j % len(values)]
            if kind == "unary":
                values.append(UNARY[k % len(UNARY)](a))
            elif kind == "binary":
                values.append(BINARY[k % len(BINARY)](a, b))
            elif kind == "reduce":
                values.append(_reduce(a))
            elif kind == "loop":
                values.append(_loop(a, b))
            elif kind == "cond":
                values.append(_branch(a, b, s))
            elif kind == "matmul":
                values.append(_matmul(a, w))
            else:
                values.append(a * tf.exp(tf.constant(float(k) / 10.0)))
        return values[3:][-3:] + [values[-1] * 1.0]
    return f


def _run(graph, args):
    return run_graph(graph, list(args))


ARGS = (np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4),
        np.array([0.5, -1.0, 2.0, 0.0], np.float32), np.float32(0.75),
        np.eye(4, dtype=np.float32) * 0.5)


@settings(max_examples=40, deadline=None)
@given(st.lists(STEP, min_size=1, max_size=8), st.sets(st.sampled_from(PASS_NAMES)),
       st.booleans())
def test_random_programs_give_identical_results_optimized_and_not(steps, off, dynamic):
    fn = tf.function(_program(steps), autograph=False)
    specs = [tf.TensorSpec([None, 4] if dynamic and i == 0 else a.shape, tf.float32)
             for i, a in enumerate(ARGS)]
    cf = fn.get_concrete_function(*specs)
    want = _run(cf.graph, ARGS)
    for enabled in (PASS_NAMES, tuple(p for p in PASS_NAMES if p not in off)):
        optimized, _ = run_pipeline(cf.graph, enabled)
        got = _run(optimized, ARGS)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_array_equal(g, w)
