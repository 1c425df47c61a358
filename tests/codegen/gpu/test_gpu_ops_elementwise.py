"""backend='gpu' on the grid emulator equals eager for maps: elementwise ops of every scalar
family, broadcasting, fusion chains, casts, comparisons and select, views copied with strides."""
import numpy as np
import pytest

import autograph_jit as tf

from .conftest import run_both

RNG = np.random.default_rng(7)


def _f32(*shape):
    return RNG.normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("op", [tf.exp, tf.math.log1p, tf.tanh, tf.sigmoid, tf.math.expm1,
                                tf.nn.relu, tf.nn.softplus, tf.abs, tf.square, tf.negative,
                                tf.math.floor, tf.math.round, tf.nn.elu, tf.math.erf],
                         ids=lambda f: f.__name__)
def test_unary_float_ops_match_eager_over_an_odd_sized_grid(device, op):
    x = _f32(37, 29)
    run_both(lambda a: op(a), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_chain_with_broadcast_matches_eager(device, dtype):
    x = RNG.normal(size=(41, 13)).astype(dtype)
    y = RNG.normal(size=(13,)).astype(dtype)

    def f(a, b):
        return tf.exp(-a * a) * b + tf.tanh(a - b) / (1.0 + tf.abs(b))
    run_both(f, x, y)


def test_integer_arithmetic_and_comparisons_are_bit_exact(device):
    a = RNG.integers(-50, 50, size=(33, 7)).astype(np.int32)
    b = RNG.integers(1, 9, size=(7,)).astype(np.int32)

    def f(x, y):
        return x // y, x % y, tf.maximum(x, y) * 3 - y, tf.cast(x > y, tf.int32), \
            tf.where(x < 0, x, y)
    run_both(f, a, b)


def test_integer_division_by_zero_raises_the_cpu_backends_error(device):
    a = np.array([4, 5, 6], np.int32)
    b = np.array([1, 0, 2], np.int32)
    f = tf.function(lambda x, y: x // y, backend="gpu")
    with pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
        f(a, b)


def test_casts_between_float_int_and_bool(device):
    x = (_f32(50) * 10).astype(np.float32)

    def f(a):
        return tf.cast(a, tf.int32), tf.cast(a, tf.float64), tf.cast(a > 0, tf.float32)
    run_both(f, x)


def test_transpose_slice_and_broadcast_views_are_copied_with_strides(device):
    x = _f32(6, 11, 5)

    def f(a):
        t = tf.transpose(a, [2, 0, 1]) * 2.0
        s = a[1:5, ::3, 2] + 1.0
        r = tf.reshape(a, [66, 5])[7:40] - 1.0
        bt = tf.broadcast_to(a[:, :1, :], [6, 11, 5]) * a
        return t, s, r, bt
    run_both(f, x)
