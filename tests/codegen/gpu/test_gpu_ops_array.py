"""backend='gpu' on the grid emulator equals eager for array ops: gather (bounds-checked),
concat, stack, tile, pad, fill, zeros_like/ones_like, bias_add, one_hot and the sum_to of
broadcast gradients."""
import numpy as np
import pytest

import autograph_jit as tf

from .conftest import run_both

RNG = np.random.default_rng(5)


def test_gather_along_each_axis(device):
    p = RNG.normal(size=(7, 9, 4)).astype(np.float32)
    i = np.array([[3, 0], [6, 6], [1, 2]], np.int32)

    def f(x, j):
        return tf.gather(x, j, axis=0), tf.gather(x, j, axis=1) * 2.0, tf.gather(x, j[0], axis=2)
    run_both(f, p, i)


def test_gather_out_of_bounds_raises_invalid_argument(device):
    f = tf.function(lambda x, j: tf.gather(x, j), backend="gpu")
    with pytest.raises(tf.errors.InvalidArgumentError, match="is not in"):
        f(np.ones((4, 2), np.float32), np.array([1, 7], np.int32))


def test_concat_stack_tile_pad_and_fills(device):
    a = RNG.normal(size=(5, 3)).astype(np.float32)
    b = RNG.normal(size=(5, 4)).astype(np.float32)

    def f(x, y):
        return (tf.concat([x, y, x], axis=1), tf.stack([x, x * 2.0], axis=1),
                tf.tile(x, [2, 3]), tf.pad(x, [[1, 2], [0, 3]], constant_values=7.0),
                tf.fill([3, 5], 2.5), tf.zeros_like(y), tf.ones_like(x) + x)
    run_both(f, a, b)


def test_bias_add_one_hot_and_broadcast_gradient(device):
    x = RNG.normal(size=(6, 5)).astype(np.float32)
    bias = RNG.normal(size=(5,)).astype(np.float32)
    labels = np.array([0, 4, 2, 2, 1, 3], np.int32)

    def f(v, c, lab):
        with tf.GradientTape() as tape:
            tape.watch(c)
            y = tf.reduce_sum(tf.nn.bias_add(v, c) * tf.one_hot(lab, 5))
        return y, tape.gradient(y, c), tf.one_hot(lab, 5, on_value=2.0, off_value=-1.0)
    run_both(f, tf.constant(x), tf.constant(bias), tf.constant(labels))


def test_cumsum_and_argmax_argmin_walk_each_line_in_order(device):
    x = RNG.normal(size=(5, 7, 3)).astype(np.float32)
    x[1, 2, 0] = np.nan
    i = RNG.integers(-4, 4, size=(6, 9)).astype(np.int32)

    def f(a, b):
        return (tf.math.cumsum(a, axis=1), tf.math.cumsum(a, axis=0, exclusive=True,
                                                          reverse=True),
                tf.math.cumsum(b, axis=1), tf.argmax(a, axis=1), tf.argmin(a, axis=2),
                tf.argmax(b, axis=0), tf.argmin(b, axis=1, output_type=tf.int32))
    run_both(f, x, i)
