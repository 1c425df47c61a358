"""Minimal reproductions of what the random-program fuzzer found. Fixed findings are plain tests;
bugs in another engineer's area are `xfail(strict=True)` until fixed (then the mark goes, and
the matching signature in known.py with it)."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.ops.opdef import InvalidArgumentError

MODES = ("eager", "cpu")


def _both(fn, *args):
    return [tf.function(fn, backend=m)(*args) for m in MODES]


@pytest.mark.parametrize("backend", [None, "eager", "cpu"])
def test_integer_division_by_zero_with_an_empty_result_returns_empty_like_tf(backend):
    # fuzz seed 160: TF only fails a division it performs; an empty result performs none
    def f(x):
        return x // 0, x % 0, tf.math.truediv(x, tf.zeros([1], tf.int32))
    x = tf.constant(np.zeros((2, 0), np.int32))
    fn = f if backend is None else tf.function(f, backend=backend)
    for r in fn(x):
        assert r.shape == (2, 0)
    with pytest.raises(InvalidArgumentError, match="Integer division by zero"):
        fn(tf.constant(np.ones((2, 1), np.int32)))


@pytest.mark.parametrize("backend", MODES)
@pytest.mark.parametrize("shape,axis", [((3, 0), 0), ((0, 2), 0), ((2, 3), 1), ((4,), None)])
def test_reduce_mean_gradient_with_unknown_dims_matches_eager_even_when_empty(backend, shape, axis):
    # fuzz seed 50: the dynamic-shape VJP divided size(x) by size(out) as integers
    def f(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            loss = tf.reduce_sum(tf.reduce_mean(a, axis=axis) * 3.0)
        return tape.gradient(loss, a)
    a = tf.constant(np.arange(np.prod(shape), dtype=np.float32).reshape(shape))
    spec = [tf.TensorSpec([None] * len(shape), tf.float32)]
    got = tf.function(f, backend=backend, input_signature=spec)(a).numpy()
    want = f(a).numpy()
    assert got.shape == want.shape == shape
    np.testing.assert_allclose(got, want, rtol=1e-6)
