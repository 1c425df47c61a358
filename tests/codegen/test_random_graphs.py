"""Differential harness, random graphs: hypothesis builds small programs of elementwise ops,
broadcasting, reductions, transposes, matmuls and a cond; backend="cpu" must agree with the
interpreter (backend="eager"): exactly for int32, within 1e-4 (relative to magnitude) for
float32 (vector math and accumulation order differ by a few ULP per op)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph_jit as tf

UNARY = {
    "float32": [tf.negative, tf.abs, tf.square, tf.tanh, tf.sigmoid, tf.nn.relu,
                lambda x: tf.exp(tf.minimum(x, 3.0)), lambda x: tf.math.log1p(tf.abs(x))],
    "int32": [tf.negative, tf.abs, lambda x: x % 7, lambda x: tf.minimum(x, 5)],
}
BINARY = [tf.add, tf.subtract, tf.multiply, tf.maximum, tf.minimum]
SHAPES = [(3, 4), (1, 4), (3, 1), ()]


def _broadcastable(x, y):
    try:
        np.broadcast_shapes(tuple(x.shape.as_list()), tuple(y.shape.as_list()))
        return True
    except ValueError:
        return False


def _program(dtype, steps):
    def f(a, b, c):
        vals = [a, b, c]
        for kind, i, j, k in steps:
            x, y = vals[i % len(vals)], vals[j % len(vals)]
            if kind == 0:
                out = UNARY[dtype][k % len(UNARY[dtype])](x)
            elif kind == 1 and _broadcastable(x, y):
                out = BINARY[k % len(BINARY)](x, y)
            elif kind == 2:
                red = [tf.reduce_sum, tf.reduce_max, tf.reduce_min][k % 3]
                out = red(x, axis=k % 2, keepdims=True) if x.shape.rank == 2 else red(x)
            elif kind == 3 and x.shape.rank == 2:
                out = tf.transpose(x) if x.shape[0] == x.shape[1] else x * 2
            elif kind == 4 and x.shape.rank == 2 and y.shape.rank == 2:
                out = tf.matmul(x, y, transpose_b=True) if x.shape[1] == y.shape[1] else x + 1
            else:
                out = tf.cond(tf.reduce_sum(x) > 0, lambda: x + 1, lambda: x - 1)
            vals.append(out)
        return vals[3:]
    return f


def _inputs(dtype, shapes, seed):
    rng = np.random.default_rng(seed)
    if dtype == "int32":
        return [tf.constant(rng.integers(-9, 10, s).astype(np.int32)) for s in shapes]
    return [tf.constant(rng.uniform(-2, 2, s).astype(np.float32)) for s in shapes]


step = st.tuples(st.integers(0, 5), st.integers(0, 20), st.integers(0, 20), st.integers(0, 20))


@settings(max_examples=25, deadline=None)
@given(dtype=st.sampled_from(["float32", "int32"]),
       shapes=st.lists(st.sampled_from(SHAPES), min_size=3, max_size=3),
       steps=st.lists(step, min_size=1, max_size=6), seed=st.integers(0, 1000))
def test_random_program_on_cpu_matches_the_interpreter(dtype, shapes, steps, seed):
    args = _inputs(dtype, [(3, 4)] + shapes[1:], seed)
    fn = _program(dtype, steps)
    got = tf.function(fn, backend="cpu", autograph=False)(*args)
    want = tf.function(fn, backend="eager", autograph=False)(*args)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = g.numpy(), w.numpy()
        assert g.shape == w.shape and g.dtype == w.dtype
        if dtype == "int32":
            np.testing.assert_array_equal(g, w)
        else:
            scale = max(1.0, float(np.max(np.abs(w))) if w.size else 1.0)
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4 * scale)
