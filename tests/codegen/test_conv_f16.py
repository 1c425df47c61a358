"""float16 conv2d / pooling and their gradients on the CPU backend (codegen/llvm/k_conv.py): native
code, no host callback, rounding where the eager kernels round — products accumulate in float32
and round once; pooling sums and gradient scatters add in float16, tap by tap in eager's order —
so the results equal eager's bit for bit on these shapes (float32 sums may differ in order only)."""
import numpy as np
import pytest

import autograph_jit as tf

from .test_conv_native import CONV_OPS, POOL_OPS, _both, _conv_and_grads, _data, _native


def _equal_or_within_an_ulp(got, want):
    """Bit-equal, or (a float32 sum in another order) one float16 rounding step away."""
    for g, w in zip(got, want):
        assert g.dtype == w.dtype == np.float16 and g.shape == w.shape
        ulp = np.spacing(np.abs(w).astype(np.float16)).astype(np.float64)
        np.testing.assert_array_less(np.abs(g.astype(np.float64) - w), ulp * 1.01 + 1e-12)


@pytest.mark.parametrize("padding,strides,dilations", [
    ("SAME", 1, 1), ("VALID", 1, 1), ("SAME", 2, 1), ("VALID", (2, 3), 1), ("SAME", 1, 2),
    ([[0, 0], [1, 2], [0, 1], [0, 0]], 1, 1)])
def test_float16_conv2d_and_its_gradients_round_like_eager(padding, strides, dilations):
    rng = np.random.default_rng(11)
    x, w = _data(rng, (2, 7, 6, 3), np.float16), _data(rng, (3, 2, 3, 4), np.float16)
    got, want, cf = _both(_conv_and_grads(strides, padding, dilations), x, w)
    _equal_or_within_an_ulp(got, want)
    _native(cf, CONV_OPS)


def test_float16_conv2d_big_enough_to_split_images_across_cores_rounds_like_eager():
    rng = np.random.default_rng(12)
    x, w = _data(rng, (4, 12, 12, 8), np.float16), _data(rng, (3, 3, 8, 16), np.float16)
    got, want, cf = _both(_conv_and_grads(1, "SAME", 1), x, w)
    _equal_or_within_an_ulp(got, want)
    _native(cf, CONV_OPS)


def test_float16_filter_gradient_over_image_groups_rounds_like_eager():
    # (an exact upstream gradient: the blocks' float32 sums round once, as eager's one dot)
    rng = np.random.default_rng(15)
    x, w = _data(rng, (6, 20, 20, 8), np.float16), _data(rng, (3, 3, 8, 16), np.float16)
    dy = tf.constant(rng.integers(-2, 3, (6, 20, 20, 16)).astype(np.float16))

    def f(x, w):
        with tf.GradientTape() as tape:
            tape.watch(w)
            y = tf.nn.conv2d(x, w, 1, "SAME")
            loss = tf.reduce_sum(y * dy)
        return [y, tape.gradient(loss, w)]
    got, want, cf = _both(f, x, w)
    _equal_or_within_an_ulp(got, want)
    _native(cf, {"conv2d_backprop_filter"})


def test_float16_conv2d_of_strided_operands_and_transpose_round_like_eager():
    rng = np.random.default_rng(13)
    x, w = _data(rng, (2, 9, 8, 3), np.float16), _data(rng, (4, 3, 3, 2), np.float16)

    def f(x, w):
        ws = tf.transpose(w, [1, 0, 2, 3])[:, :2]     # a non-contiguous filter
        y = tf.nn.conv2d(x[:, ::2, ::-1, :], ws, 1, "SAME")
        return [y, tf.nn.conv2d_transpose(y, ws, [2, 5, 8, 3], 1, "SAME")]
    got, want, cf = _both(f, x, w)
    _equal_or_within_an_ulp(got, want)
    _native(cf, {"conv2d", "conv2d_backprop_input"})


def test_float16_products_accumulate_in_float32_like_eager():
    # 2048 + 1 + 1 + ... is 2048 in float16 arithmetic; eager (NumPy's float16 dot) sums in
    # float32 and rounds once: 2048 + 64 ones = 2112, exactly representable
    x = np.ones((1, 1, 65, 1), np.float16)
    x[0, 0, 0, 0] = 2048
    w = np.ones((1, 65, 1, 1), np.float16)
    got, want, cf = _both(lambda x, w: tf.nn.conv2d(x, w, 1, "VALID"), tf.constant(x),
                          tf.constant(w))
    assert want[0].ravel()[0] == 2112 and got[0].ravel()[0] == 2112
    _native(cf, {"conv2d"})


@pytest.mark.parametrize("ksize,strides,padding", [
    (2, 2, "VALID"), (3, 1, "SAME"), (3, 2, "SAME"), ((2, 3), (1, 2), "VALID"), (3, 3, "SAME")])
def test_float16_pools_and_their_gradients_equal_eager(ksize, strides, padding):
    rng = np.random.default_rng(14)
    x = _data(rng, (2, 7, 8, 3), np.float16)

    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            a = tf.nn.max_pool2d(x, ksize, strides, padding)
            b = tf.nn.avg_pool2d(x, ksize, strides, padding)
            loss = tf.reduce_sum(a * a) + tf.reduce_sum(b * b)
        return [a, b, tape.gradient(loss, x)]
    got, want, cf = _both(f, x)
    for g, w in zip(got, want):
        assert g.dtype == np.float16
        np.testing.assert_array_equal(g, w)
    _native(cf, POOL_OPS)
