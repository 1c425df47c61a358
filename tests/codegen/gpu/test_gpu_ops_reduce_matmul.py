"""backend='gpu' on the grid emulator equals eager for reductions (row, column, full, every
reduce op, fused producers), the tiled matmul (transposes, batches, integer, fused epilogue) and
the softmax / cross-entropy row kernels."""
import numpy as np
import pytest

import autograph_jit as tf

from .conftest import run_both

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("op", [tf.reduce_sum, tf.reduce_mean, tf.reduce_max, tf.reduce_min,
                                tf.reduce_prod], ids=lambda f: getattr(f, "__name__", str(f)))
def test_float_reductions_over_rows_columns_and_everything(device, op, axis):
    x = RNG.uniform(0.5, 1.5, size=(4, 13, 3)).astype(np.float32)
    run_both(lambda a: op(a, axis=axis), x, rtol=2e-5)


def test_integer_and_boolean_reductions_are_exact(device):
    x = RNG.integers(-9, 9, size=(20, 9)).astype(np.int32)

    def f(a):
        return (tf.reduce_sum(a, axis=0), tf.reduce_max(a, axis=1), tf.reduce_min(a),
                tf.reduce_any(a > 7, axis=1), tf.reduce_all(a > -9, axis=0),
                tf.reduce_mean(a, axis=1))
    run_both(f, x)


def test_keepdims_and_fused_producer(device):
    x = RNG.normal(size=(10, 70)).astype(np.float64)

    def f(a):
        return tf.reduce_sum(tf.exp(a) * a, axis=1, keepdims=True), tf.reduce_max(a * a)
    run_both(f, x, rtol=1e-12)


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_with_transposes_at_sizes_not_a_multiple_of_the_tile(device, ta, tb):
    a = RNG.normal(size=(19, 37)).astype(np.float32)
    b = RNG.normal(size=(37, 23)).astype(np.float32)
    a = a.T.copy() if ta else a
    b = b.T.copy() if tb else b
    run_both(lambda x, y: tf.matmul(x, y, transpose_a=ta, transpose_b=tb), a, b, rtol=1e-4,
             atol=1e-5)


def test_batched_integer_matmul_and_fused_bias_relu_epilogue(device):
    a = RNG.integers(-5, 5, size=(3, 5, 7)).astype(np.int32)
    b = RNG.integers(-5, 5, size=(7, 4)).astype(np.int32)
    x = RNG.normal(size=(33, 20)).astype(np.float32)
    w = RNG.normal(size=(20, 18)).astype(np.float32)
    bias = RNG.normal(size=(18,)).astype(np.float32)
    run_both(lambda p, q: tf.matmul(p, q), a, b)
    run_both(lambda p, q, r: tf.nn.relu(p @ q + r), x, w, bias, rtol=1e-4, atol=1e-5)


def test_softmax_log_softmax_and_cross_entropies(device):
    logits = (RNG.normal(size=(7, 70)) * 4).astype(np.float32)
    labels = RNG.integers(0, 70, size=7).astype(np.int32)
    dense = tf.nn.softmax(RNG.normal(size=(7, 70)).astype(np.float32)).numpy()

    def f(z, y, d):
        return (tf.nn.softmax(z), tf.nn.log_softmax(z),
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z),
                tf.nn.softmax_cross_entropy_with_logits(labels=d, logits=z))
    run_both(f, logits, labels, dense, rtol=2e-5, atol=2e-6)


def test_sparse_cross_entropy_gradient(device):
    logits = tf.constant(RNG.normal(size=(6, 5)).astype(np.float32))
    labels = tf.constant(RNG.integers(0, 5, size=6).astype(np.int32))

    def f(z, y):
        with tf.GradientTape() as tape:
            tape.watch(z)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=z))
        return loss, tape.gradient(loss, z)
    run_both(f, logits, labels, rtol=2e-5, atol=1e-7)


def test_a_label_out_of_range_raises_invalid_argument(device):
    f = tf.function(lambda z, y: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=y, logits=z), backend="gpu")
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of 9"):
        f(np.zeros((3, 4), np.float32), np.array([0, 9, 1], np.int32))
